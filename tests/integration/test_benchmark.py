"""The benchmark runs end to end at a small size, and its figures agree with DuckDB."""

from __future__ import annotations

import json

import pytest

from benchmarks import run as bench
from tests.conftest import BACKEND

pytestmark = pytest.mark.slow  # a benchmark run: minutes


@pytest.mark.skipif(BACKEND != "sqlite", reason="run once, in the SQLite pass of the suite")
def test_the_benchmark_runs_and_agrees_with_duckdb(tmp_path, monkeypatch):
    out = tmp_path / "results.json"
    bench.main(
        [
            "--invoices",
            "3000",
            "--backends",
            "sqlite",
            "--excel-rows",
            "0",
            "--workdir",
            str(tmp_path / "work"),
            "--out",
            str(out),
        ]
    )
    results = json.loads(out.read_text())
    sqlite = results["sqlite"]
    assert set(sqlite["import"]) == set(bench.KINDS)
    assert sqlite["import"]["invoices"]["rows"] == 3000
    assert all(v["rows_per_s"] > 0 and v["peak_rss_mb"] > 0 for v in sqlite["import"].values())
    assert sqlite["disagreements_with_duckdb"] == {"all": [], "segment": []}
    app = sqlite["app"]  # every page renders, through the installed entrypoint and pages
    assert app["exceptions"] == 0 and app["overview_first_render_s"] > 0
    assert set(app["pages_first_render_s"]) == {
        "collections",
        "satisfaction",
        "reasons",
        "customer",
        "data",
    }
    table = bench.markdown(results)
    assert "| import invoices (3,000 rows) |" in table and "all agree" in table
