"""Twenty-five colleagues on a Monday morning: concurrent sessions in one headless Chromium.

``python -m benchmarks.load [--sessions 25] [--db URL]`` starts ``encaisse serve`` on the demo
data (a fresh SQLite file unless ``--db`` names a database already loaded), gives each session
a viewer account of its own, and has every session at once sign in, wait for the Overview, then
change the period three times. Prints JSON: sign-in to a rendered Overview and filter-change
times (median, 90th percentile, max), errors and time-outs, the server's memory before, at its
peak and after the sessions close. Chromium runs on the same machine, as a team's browsers
would not: the figures are pessimistic.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "load-test-pass"
DONE = "[data-testid=stApp][data-test-script-state=notRunning]"
# the three period changes, as a user picks them in the sidebar
PERIODS = ("Last 30 days", "Year to date", "Quarter to date")
STEP_TIMEOUT_MS = 120_000
# how often a session looks whether its page is done: 25 pages looking every 100 ms cost the
# shared CPU more than a second per second, which the measured times then included
POLL_MS = 400


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tree_rss_mb(pid: int) -> float:
    """Resident memory of a process and its descendants, MB."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            status = Path(f"/proc/{p}/status").read_text()
            total += int(status.split("VmRSS:")[1].split()[0])
            for task in Path(f"/proc/{p}/task").iterdir():
                children = (task / "children").read_text().split()
                todo.extend(int(c) for c in children)
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
    return round(total / 1024, 1)


def cpu_s(pid: int) -> float:
    """CPU time (user + system) a process has used, seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_cpu_s() -> float:
    """CPU time every process of the machine has used (busy time), seconds."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    busy = sum(fields) - fields[3] - fields[4]  # minus idle and iowait
    return busy / os.sysconf("SC_CLK_TCK")


class Sampler(threading.Thread):
    """Samples the server's memory every 100 ms; ``peak`` is the highest seen."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak, self.stop = pid, 0.0, threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            self.peak = max(self.peak, tree_rss_mb(self.pid))
            time.sleep(0.1)


def nice_browser(niceness: int) -> None:
    """Lower the priority of every Chromium process (its renderers fork from these), so that
    the browser, which a team would run on their own machines, does not starve the server."""
    if not niceness:
        return
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and "chromium" in (proc / "comm").read_text():
                os.setpriority(os.PRIO_PROCESS, int(proc.name), niceness)
        except (FileNotFoundError, PermissionError, ProcessLookupError):
            continue


def summary(values: list[float]) -> dict:
    if not values:
        return {"n": 0}
    ordered = sorted(values)
    return {
        "n": len(values),
        "median_s": round(statistics.median(values), 2),
        "p90_s": round(ordered[max(0, int(len(ordered) * 0.9 + 0.5) - 1)], 2),
        "max_s": round(ordered[-1], 2),
    }


async def rendered(page, heading: str) -> None:
    """Wait until the run is over and ``heading`` is on screen, without an exception."""
    await page.wait_for_function(
        """(heading) => {
            const app = document.querySelector('[data-testid=stApp]');
            const h1 = [...document.querySelectorAll('h1')].map(h => h.innerText);
            return app && app.dataset.testScriptState === 'notRunning'
                && h1.some(t => t.includes(heading))
                && document.querySelectorAll('[data-testid=stMetric]').length > 0;
        }""",
        arg=heading,
        timeout=STEP_TIMEOUT_MS,
        polling=POLL_MS,
    )


async def period_caption(page) -> str:
    return (
        await page.locator("[data-testid=stSidebar] [data-testid=stCaptionContainer]")
        .filter(has_text="Period:")
        .first.inner_text()
    )


async def one_session(browser, base: str, name: str, start: asyncio.Event, out: dict) -> None:
    context = await browser.new_context(
        viewport={"width": 1280, "height": 900},
        reduced_motion=os.environ.get("LOAD_MOTION", "no-preference"),
    )
    page = await context.new_page()
    page.set_default_timeout(STEP_TIMEOUT_MS)
    received, asked = [0], [None]

    def count(payload) -> None:
        """Bytes received, and the server's own time: from a user's act to the message that
        its run is over (what the browser does with the page afterwards is not in it)."""
        received[0] += len(payload)
        if asked[0] is not None and isinstance(payload, bytes):
            msg = ForwardMsg.FromString(payload)
            if (
                msg.WhichOneof("type") == "script_finished"
                and msg.script_finished == ForwardMsg.FINISHED_SUCCESSFULLY
            ):
                out["server_" + asked[0][0]].append(time.perf_counter() - asked[0][1])
                asked[0] = None

    page.on("websocket", lambda ws: ws.on("framereceived", count))
    try:
        await page.goto(f"{base}/?lang=EN", timeout=STEP_TIMEOUT_MS)
        await page.wait_for_selector(DONE, timeout=STEP_TIMEOUT_MS)
        await page.get_by_label("User name").fill(name)
        await page.get_by_role("textbox", name="Password").fill(PASSWORD)
        out["ready"].add(name)
        await start.wait()  # everyone clicks "Sign in" together
        t0 = time.perf_counter()
        asked[0] = ("sign_in", t0)
        await page.get_by_role("button", name="Sign in", exact=True).click()
        await rendered(page, "Overview")
        out["sign_in"].append(time.perf_counter() - t0)
        for label in PERIODS:
            before = await period_caption(page)
            t0 = time.perf_counter()
            await page.locator("[data-testid=stSidebar] [data-testid=stSelectbox]").first.click()
            asked[0] = ("filter_change", time.perf_counter())
            await page.get_by_role("option", name=label, exact=True).click()
            await page.wait_for_function(
                """(before) => {
                    const app = document.querySelector('[data-testid=stApp]');
                    const caps = [...document.querySelectorAll(
                        '[data-testid=stSidebar] [data-testid=stCaptionContainer]')];
                    const cap = caps.map(c => c.innerText).find(t => t.includes('Period:'));
                    return app && app.dataset.testScriptState === 'notRunning'
                        && cap !== undefined && cap !== before;
                }""",
                arg=before,
                timeout=STEP_TIMEOUT_MS,
                polling=POLL_MS,
            )
            out["filter_change"].append(time.perf_counter() - t0)
        out["ws_bytes"].append(received[0])
        if await page.locator("[data-testid=stException]").count():
            out["errors"].append(f"{name}: an exception on the page")
    except Exception as exc:  # a time-out or a missing element: counted, not fatal
        if os.environ.get("LOAD_SHOTS"):
            await page.screenshot(path=f"{os.environ['LOAD_SHOTS']}/{name}.png")
        kind = "timeouts" if "Timeout" in type(exc).__name__ else "errors"
        out[kind].append(f"{name}: {type(exc).__name__}: {str(exc).splitlines()[0][:160]}")
    finally:
        await context.close()


async def drive(base: str, names: list[str]) -> dict:
    from playwright.async_api import async_playwright

    out: dict = {
        "sign_in": [],
        "filter_change": [],
        "errors": [],
        "timeouts": [],
        "ready": set(),
        "ws_bytes": [],
        "server_sign_in": [],
        "server_filter_change": [],
    }
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        nice_browser(int(os.environ.get("LOAD_BROWSER_NICE", "0")))
        start = asyncio.Event()
        tasks = [asyncio.create_task(one_session(browser, base, n, start, out)) for n in names]
        # release the sign-ins together once every form is filled in (or after 180 s)
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            if all(n in out["ready"] or t.done() for n, t in zip(names, tasks, strict=True)):
                break
            await asyncio.sleep(0.2)
        start.set()
        await asyncio.gather(*tasks)
        await browser.close()
    return out


def prepare(url: str | None, sessions: int, folder: Path) -> tuple[str, list[str]]:
    """The database (the demo data unless ``url`` is given) and one viewer per session."""
    from dashboard.auth import accounts
    from dashboard.demo.data import load_demo
    from dashboard.storage.store import open_store

    if url is None:
        url = f"sqlite:///{folder / 'load.db'}"
        load_demo(open_store(url))
    engine = open_store(url)
    names = [f"viewer{i:02d}" for i in range(1, sessions + 1)]
    existing = {u["name"] for u in accounts.list_users(engine)}
    for name in names:
        if name not in existing:
            accounts.add_user(engine, name, PASSWORD, "viewer", by="benchmark")
    return url, names


def main() -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=25)
    parser.add_argument("--db", help="a database already loaded (default: fresh demo data)")
    parser.add_argument("--settle", type=float, default=60, help="seconds to wait after close")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url, names = prepare(args.db, args.sessions, Path(tmp))
        port = free_port()
        env = {**os.environ, "ENCAISSE_DB_URL": url}
        server = subprocess.Popen(
            [sys.executable, "-m", "dashboard.cli.main", "serve", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(240):
                try:
                    urllib.request.urlopen(base + "/_stcore/health", timeout=2)
                    break
                except OSError:
                    time.sleep(0.5)
            time.sleep(2)
            idle = tree_rss_mb(server.pid)
            # one session first (the imports and shared caches a first visitor warms up):
            # the pre-test level the memory must come back to
            asyncio.run(drive(base, names[:1]))
            time.sleep(min(args.settle, 10))
            warm = tree_rss_mb(server.pid)
            sampler = Sampler(server.pid)
            sampler.start()
            t0, server_cpu, all_cpu = time.perf_counter(), cpu_s(server.pid), machine_cpu_s()
            out = asyncio.run(drive(base, names))
            wall = time.perf_counter() - t0
            server_cpu = cpu_s(server.pid) - server_cpu
            all_cpu = machine_cpu_s() - all_cpu
            closed = tree_rss_mb(server.pid)
            time.sleep(args.settle)  # Streamlit drops a closed tab's session after a while
            settled = tree_rss_mb(server.pid)
            sampler.stop.set()
            sampler.join()
        finally:
            server.terminate()
            server.wait(timeout=30)
    return {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}",
        "database": url.split(":", 1)[0],
        "sessions": args.sessions,
        "wall_s": round(wall, 1),
        # where the machine's time went: the server against everything else (the browser)
        "cpu_s": {"server": round(server_cpu, 1), "machine": round(all_cpu, 1)},
        "sign_in_to_overview": summary(out["sign_in"]),
        "filter_change": summary(out["filter_change"]),
        # the same two, until the server's message that the run is over
        "server_side": {
            "sign_in_to_overview": summary(out["server_sign_in"]),
            "filter_change": summary(out["server_filter_change"]),
        },
        # what the server sent one session (websocket frames, sign-in and three changes)
        "websocket_kb_per_session": round(statistics.median(out["ws_bytes"]) / 1024)
        if out["ws_bytes"]
        else None,
        "errors": out["errors"],
        "timeouts": out["timeouts"],
        "server_rss_mb": {
            "idle_before": idle,
            "after_one_session": warm,
            "peak": sampler.peak,
            "at_close": closed,
            f"after_{int(args.settle)}s": settled,
        },
    }


if __name__ == "__main__":
    print(json.dumps(main(), indent=2))
