"""The dashboard in a real browser: Debian's Chromium driven by playwright.

Starts ``encaisse serve`` on demo data, opens every page in English and French, uploads a file
through the Data page, and saves a screenshot of each step in tests/artifacts/.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from dashboard.demo import load_demo
from dashboard.store import list_batches, open_store
from tests.conftest import FIXTURES, new_database

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).parent / "artifacts"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]
PAGES = ["", "collections", "satisfaction", "reasons", "segments", "customer?customer=C1002",
         "data"]

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(),
                                reason="Debian's chromium is not installed (scripts/test.sh "
                                       "installs it when run as root)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(url: str):
    """Start ``encaisse serve`` on ``url``; yields the base address, stops it afterwards."""
    port = free_port()
    env = {**os.environ, "ENCAISSE_DB_URL": url}
    proc = subprocess.Popen([sys.executable, "-m", "dashboard.cli", "serve", "--port", str(port)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(base + "/_stcore/health", timeout=2)
                break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail("the dashboard did not start: " + proc.stdout.read1().decode())
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=20)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    sync_api = pytest.importorskip("playwright.sync_api")
    url, drop = new_database(tmp_path_factory.mktemp("browser"))
    load_demo(open_store(url), seed=11, customers=60, months=12, end=dt.date(2026, 10, 31))
    for base in serve(url):
        yield base, url, sync_api
    drop()


def visit_all(page, base: str, prefix: str, pages: list[str]) -> None:
    """Every page in English and French: no exception, a title, a screenshot."""
    for lang in ("EN", "FR"):
        for path in pages:
            sep = "&" if "?" in path else "?"
            open_page(page, f"{base}/{path}{sep}lang={lang}")
            assert page.locator("[data-testid=stException]").count() == 0, path
            assert page.locator("h1").count() >= 1, path
            if path.startswith("customer"):
                heading = "Open items" if lang == "EN" else "Factures ouvertes"
                assert page.get_by_text(heading).first.is_visible()
            name = (path.split("?")[0] or "overview") + f"_{lang.lower()}"
            page.screenshot(path=str(ARTIFACTS / f"{prefix}{name}.png"), full_page=True)


def open_page(page, url: str) -> None:
    page.goto(url)
    page.wait_for_selector("[data-testid=stApp][data-test-script-state=notRunning]",
                           timeout=90_000)
    page.wait_for_timeout(800)  # let charts draw


def test_every_page_and_an_upload_in_chromium(server):
    base, db_url, sync_api = server
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1440, "height": 1000})
        visit_all(page, base, "", PAGES)
        open_page(page, f"{base}/?lang=EN")
        assert page.get_by_text("Receivables").first.is_visible()
        open_page(page, f"{base}/data?lang=EN")
        before = len(list_batches(open_store(db_url)))
        page.set_input_files("input[type=file]", str(FIXTURES / "factures_fr_cp1252.csv"))
        page.get_by_text("Detected kind: invoices").wait_for(timeout=60_000)
        page.get_by_role("button", name="Commit the import").click()
        page.get_by_text("Imported: batch").wait_for(timeout=60_000)
        page.screenshot(path=str(ARTIFACTS / "data_upload.png"), full_page=True)
        browser.close()
    assert len(list_batches(open_store(db_url))) == before + 1


def test_every_page_on_the_ibm_sample_in_chromium(db_url):
    from tests.conftest import IBM

    if not IBM.exists():
        pytest.skip(f"IBM sample not found at {IBM}")
    sync_api = pytest.importorskip("playwright.sync_api")
    from data_loaders.importer import import_file

    url = db_url
    import_file(open_store(url), "ledger", IBM)
    ARTIFACTS.mkdir(exist_ok=True)
    pages = [p for p in PAGES if not p.startswith("customer")] + ["customer?customer=0379-NEVHP"]
    for base in serve(url):
        with sync_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
            page = browser.new_page(viewport={"width": 1440, "height": 1000})
            visit_all(page, base, "ibm_", pages)
            browser.close()
