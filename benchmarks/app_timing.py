"""Render times of the dashboard through AppTest, in a process of its own (for its peak memory).

``python -m benchmarks.app_timing`` with ENCAISSE_DB_URL set; prints JSON.
"""

from __future__ import annotations

import json
import os
import time

from streamlit.testing.v1 import AppTest

from benchmarks.run import vm_hwm_kb
from dashboard.core.resources import app_entry, pages_dir

APP = str(app_entry())


def page(name: str) -> str:
    """A page's path as ``switch_page`` wants it: relative to the entrypoint's folder."""
    return os.path.relpath(pages_dir() / f"{name}.py", app_entry().parent)


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return round(time.perf_counter() - start, 3)


def main() -> dict:
    at = AppTest.from_file(APP, default_timeout=600)
    out = {"overview_first_render_s": timed(at.run)}
    segments = at.multiselect(key="segment").options
    out["overview_filter_change_s"] = timed(
        lambda: at.multiselect(key="segment").set_value(segments[:1]).run()
    )
    out["overview_filter_change_warm_s"] = timed(
        lambda: at.multiselect(key="segment").set_value(segments[1:2]).run()
    )
    out["segments_first_render_s"] = timed(lambda: at.switch_page(page("segments")).run())
    out["segments_filter_change_s"] = timed(
        lambda: at.multiselect(key="segment").set_value(segments[2:3]).run()
    )
    # every other page's first render (each a fresh session: nothing cached for it)
    out["pages_first_render_s"] = {}
    for name in ("collections", "satisfaction", "reasons", "customer", "data"):
        other = AppTest.from_file(APP, default_timeout=600)
        other.run()
        out["pages_first_render_s"][name] = timed(
            lambda other=other, name=name: other.switch_page(page(name)).run()
        )
        out["exceptions"] = out.get("exceptions", 0) + len(other.exception)
    out["exceptions"] = out.get("exceptions", 0) + len(at.exception)
    out["peak_rss_mb"] = round(vm_hwm_kb() / 1024, 1)  # this process image only
    return out


if __name__ == "__main__":
    print(json.dumps(main()))
