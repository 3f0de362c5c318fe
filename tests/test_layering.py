"""The core and the loaders work without a UI: importing them never loads Streamlit."""

import subprocess
import sys


def test_core_does_not_import_streamlit():
    code = ("import sys, dashboard.analytics, dashboard.charts, dashboard.cli, dashboard.demo, "
            "dashboard.docs, dashboard.exports, dashboard.i18n, dashboard.metrics, "
            "dashboard.store, dashboard.auth, dashboard.report, data_loaders.importer, "
            "data_loaders.read; "
            "print('streamlit' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"
