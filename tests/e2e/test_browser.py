"""The dashboard in a real browser: Debian's Chromium driven by playwright.

Starts ``encaisse serve`` on demo data, opens every page in English and French, uploads a file
through the Data page, and saves a screenshot of each step in tests/e2e/artifacts/.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from dashboard.demo.data import load_demo
from dashboard.storage.store import list_batches, open_store
from tests.conftest import FIXTURES, new_database

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).parent / "artifacts"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PAGES = [
    "",
    "collections",
    "satisfaction",
    "reasons",
    "segments",
    "aged_balance",
    "worklist",
    "customer?customer=C1002",
    "data",
]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(),
        reason="Debian's chromium is not installed (scripts/test.sh installs it when run as root)",
    ),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(url: str):
    """Start ``encaisse serve`` on ``url``; yields the base address, stops it afterwards."""
    env = {**os.environ, "ENCAISSE_DB_URL": url}
    with running([sys.executable, "-m", "dashboard.cli.main", "serve"], env) as (base, _):
        yield base


@contextlib.contextmanager
def running(command: list[str], env: dict[str, str], cwd: Path | None = None):
    """Run ``command --port N`` until it answers on /_stcore/health; yields (base address,
    process); stops it afterwards."""
    port = free_port()
    proc = subprocess.Popen(
        [*command, "--port", str(port)],
        env=env,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
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
        yield base, proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
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
    page.wait_for_selector("[data-testid=stApp][data-test-script-state=notRunning]", timeout=90_000)
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
        # the Customer page opens on the most overdue; a click on a row opens that customer
        open_page(page, f"{base}/customer?lang=EN")
        assert page.get_by_text("Most overdue customers").is_visible()
        grid = page.locator("[data-testid=stDataFrame]").first.bounding_box()
        page.mouse.click(grid["x"] + 15, grid["y"] + 35 + 17)  # the first row's tick box
        page.wait_for_url("**customer=C*", timeout=60_000)
        page.wait_for_selector("[data-testid=stApp][data-test-script-state=notRunning]")
        assert page.get_by_text("Open items").first.is_visible()
        page.screenshot(path=str(ARTIFACTS / "customer_from_list.png"), full_page=True)
        # a table's own toolbar offers no CSV download (it would write formulas raw, to
        # every role); Encaisse's own buttons do the exports
        open_page(page, f"{base}/segments?lang=EN")
        grid = page.locator("[data-testid=stDataFrame]").first
        grid.hover()
        toolbar = page.locator("[data-testid=stElementToolbar]").first
        toolbar.wait_for(state="visible", timeout=10_000)
        assert toolbar.get_by_label("Download as CSV").count() == 0
        assert page.get_by_role("button", name="CSV").first.is_visible()
        open_page(page, f"{base}/data?lang=EN")
        before = len(list_batches(open_store(db_url)))
        page.set_input_files("input[type=file]", str(FIXTURES / "factures_fr_cp1252.csv"))
        page.get_by_text("Detected kind: Invoices").wait_for(timeout=60_000)
        page.get_by_role("button", name="Commit the import").click()
        page.get_by_text("Imported: batch").wait_for(timeout=60_000)
        page.screenshot(path=str(ARTIFACTS / "data_upload.png"), full_page=True)
        browser.close()
    assert len(list_batches(open_store(db_url))) == before + 1


# Encaisse's own English words that a French page must not show (the demo data's own words,
# segment and touchpoint names, are removed from the text first).
ENGLISH = re.compile(
    r"\b(Upload|Browse files|Choose an option|per file|None|empty|days|Overview|Collections|"
    r"Customer|Amount|Reason|Owner|Invoice|Payment|Channel|Method|Status|Cost|Cash|Formula|"
    r"Target|Download|Period|Filters|Page not found|overhead|staff|letter|phone|transfer|card|"
    r"completed|failed|viewer|manager|uploader|Detected|Rows|Refused|Previous|Share|Segments "
    r"& customers|Late-payment|formal notice)\b"
)
SNAKE = re.compile(r"\b[a-z]+(?:_[a-z0-9]+)+\b")
VISIBLE_TEXT = """() => {
  const icons = [...document.querySelectorAll('[data-testid=stIconMaterial]')];
  icons.forEach(e => e.style.display = 'none');  // ligatures: "upload_file" draws an icon
  const text = document.querySelector('[data-testid=stApp]').innerText;
  icons.forEach(e => e.style.display = '');
  return text;
}"""


CUT_OFF = """() => {
  // a chart label vega shortened ("Efficacité du recouvreme…") or a card's text cut by CSS
  const svg = [...document.querySelectorAll('svg text')].map(e => e.textContent)
    .filter(t => t.endsWith('…'));
  // a label drawn past the edge of its chart is cut without an ellipsis
  const past = [...document.querySelectorAll('svg.marks text')].filter(e => {
    if (e.getAttribute('opacity') === '0') return false;  // a label vega left out
    const box = e.closest('svg').getBoundingClientRect();  // it hides its overflow
    const r = e.getBoundingClientRect();
    // 4 px: a rotated title's box overhangs by up to 3
    return r.width > 0 && (r.right > box.right + 4 || r.left < box.left - 4);
  }).map(e => e.textContent);
  const cards = [...document.querySelectorAll('[data-testid=stMetric] *')]
    .filter(e => e.children.length === 0 && e.scrollWidth > e.clientWidth + 1)
    .map(e => e.textContent);
  return [...svg, ...past, ...cards];
}"""


def test_no_label_legend_or_change_is_cut_off_at_1440_by_900_in_chromium(server):
    """Cards (label, change and what it is against), chart titles, axes and legends show
    whole in English and French on a 1440×900 screen."""
    base, _, sync_api = server
    cut: dict[str, list[str]] = {}
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1440, "height": 900})
        for lang in ("EN", "FR"):
            for path in ("", "collections", "satisfaction", "reasons", "segments"):
                for preset in ("last90", "ytd"):
                    open_page(page, f"{base}/{path}?lang={lang}&preset={preset}")
                    found = page.evaluate(CUT_OFF)
                    if found:
                        cut[f"{lang} /{path} {preset}"] = found
        browser.close()
    assert not cut, cut


BROKEN_FIGURES = """() => [...document.querySelectorAll('[data-testid=stMetricValue]')]
  .filter(e => {
    const r = e.getBoundingClientRect(), line = parseFloat(getComputedStyle(e).fontSize) * 1.6;
    const card = e.closest('[data-testid=stMetric]').getBoundingClientRect();
    return r.height > line || r.right > card.right + 1;  // wrapped, or past the card's edge
  }).map(e => e.textContent)"""


def test_a_ledger_in_billions_keeps_each_figure_on_one_line_in_chromium(db_url, tmp_path):
    """Receivables of a large company (€3,700,000,000.00) stay on one line of their card in
    English and French at 1440×900, on the Overview, the aged balance and a customer's page
    (one invoice: €740,000,000.00): the cards wrap their labels, and once broke such a figure
    mid-number ("€1,832,524,6 / 73"). The customers the ledger created are in Encaisse's own
    segment, named in French for a French reader ("Unassigned" was shown as is)."""
    sync_api = pytest.importorskip("playwright.sync_api")
    from data_loaders.importer import import_file
    from tests.conftest import write

    ledger = "invoice_id,customer_id,issue_date,due_date,amount\n" + "".join(
        f"F{i},C{i},2026-09-{i + 1:02d},2026-10-{i + 1:02d},740000000.00\n" for i in range(5)
    )
    import_file(open_store(db_url), "invoices", write(tmp_path, "big.csv", ledger))
    broken = {}
    for base in serve(db_url):
        with sync_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
            page = browser.new_page(viewport={"width": 1440, "height": 900})
            for lang, figure in (("EN", "€3,700,000,000"), ("FR", "3\u202f700\u202f000\u202f000")):
                for path in ("", "aged_balance", "customer?customer=C1"):
                    open_page(page, f"{base}/{path}{'&' if '?' in path else '?'}lang={lang}")
                    if not path:
                        assert page.get_by_text(figure, exact=False).count() >= 1, lang
                    found = page.evaluate(BROKEN_FIGURES)
                    if found:
                        broken[f"{lang} /{path}"] = found
            # the customers the ledger created are in Encaisse's own segment: its French name
            assert page.get_by_text("Non affecté").count() >= 1
            assert page.get_by_text("Unassigned").count() == 0
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "billions_fr.png"), full_page=True)
            browser.close()
    assert not broken, broken


def test_every_page_in_french_shows_no_english_and_no_code_in_chromium(server, tmp_path):
    """Every page, the "page not found" dialog and a refused file in French, at 1440×900:
    no English word of the list, no snake_case code in the visible text (charts included:
    they draw SVG text)."""
    base, db_url, sync_api = server
    engine = open_store(db_url)
    with engine.connect() as conn:
        data_words = {
            str(v)
            for q in (
                "SELECT DISTINCT segment FROM customers",
                "SELECT DISTINCT region FROM customers",
                "SELECT DISTINCT collector FROM customers",
                "SELECT DISTINCT touchpoint FROM surveys",
            )
            for (v,) in conn.exec_driver_sql(q)
            if v
        } | {"factures_bad.csv"}
    wrong = tmp_path / "factures_bad.csv"  # a date, an amount and a due date wrong
    wrong.write_text(
        "N° facture;Code client;Date facture;Date d'échéance;Montant TTC\n"
        "F-1;C1000;32/13/2026;30/11/2026;12,50\nF-2;C1000;01/10/2026;;abc\n",
        encoding="utf-8",
    )
    found: dict[str, list[str]] = {}
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1440, "height": 900})
        for path in [*PAGES, "admin", "no-such-page"]:
            sep = "&" if "?" in path else "?"
            open_page(page, f"{base}/{path}{sep}lang=FR")
            if path == "data":  # a refused file: the validation report too
                page.set_input_files("input[type=file]", str(wrong))
                page.get_by_text("Type détecté").first.wait_for(timeout=60_000)
                page.get_by_role("button", name="Vérifier le fichier").click()
                refusal = page.get_by_text("Rien n'a été écrit")
                refusal.wait_for(timeout=60_000)
                refusal.scroll_into_view_if_needed()
                page.mouse.move(800, 500)
                page.mouse.wheel(0, 400)  # the report under the refusal
                page.wait_for_timeout(1000)
                page.screenshot(path=str(ARTIFACTS / "fr_data_report.png"))
            text = page.evaluate(VISIBLE_TEXT)
            for word in sorted(data_words, key=len, reverse=True):
                text = text.replace(word, " ")
            text = text.replace("Language / Langue", "")  # the switch names both on purpose
            bad = ENGLISH.findall(text) + SNAKE.findall(text)
            if bad:
                found[path] = sorted(set(bad))
            page.screenshot(path=str(ARTIFACTS / f"fr_{path.split('?')[0]}.png"))
        browser.close()
    assert not found, found


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


def test_a_real_order_line_ledger_through_the_data_page_in_chromium(db_url):
    """The public order-line ledger as it is, in French: detected, terms and "set aside" given
    on the page, committed; the refused rows offered; the Overview notes the write-offs."""
    from tests.conftest import SHARED

    finance = SHARED / "finance_dashboard_sample_data.xlsx"
    if not finance.exists():
        pytest.skip(f"finance dashboard sample not found at {finance}")
    sync_api = pytest.importorskip("playwright.sync_api")
    ARTIFACTS.mkdir(exist_ok=True)
    for base in serve(db_url):
        with sync_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
            page = browser.new_page(viewport={"width": 1440, "height": 1000})
            outside: list[str] = []  # offline: every asset, the tab's icon too, from the server
            local = (base, "data:", "blob:")

            def note(request, local=local, outside=outside) -> None:
                if not request.url.startswith(local):
                    outside.append(request.url)

            page.on("request", note)
            open_page(page, f"{base}/data?lang=FR")
            assert (
                page.locator("link[rel~=icon]")
                .first.get_attribute("href")
                .startswith(("/", base, "data:", "./"))
            )
            page.set_input_files("input[type=file]", str(finance))
            detected = "Type détecté : Grand livre (factures et règlements)"
            page.get_by_text(detected).wait_for(timeout=60_000)
            terms = page.get_by_role(
                "spinbutton", name="Factures sans date d'échéance : échues après (jours)"
            )
            terms.fill("30")
            terms.press("Enter")
            page.wait_for_timeout(1500)
            page.get_by_text("Valider les lignes correctes et mettre de côté").click()
            page.wait_for_timeout(1500)
            page.get_by_role("button", name="Valider l'import").click()
            page.get_by_text("34 ligne(s) refusée(s)").wait_for(timeout=90_000)
            assert page.get_by_role("button", name="Télécharger les lignes refusées").is_visible()
            page.screenshot(path=str(ARTIFACTS / "fr_data_order_lines.png"), full_page=True)
            with open_store(db_url).connect() as conn:
                last = conn.exec_driver_sql(
                    "SELECT MAX(written_off_date) FROM invoices WHERE replaced_by IS NULL"
                ).scalar()
            open_page(page, f"{base}/?lang=FR&asof={str(last)[:10]}")
            page.get_by_text("passés en perte").first.wait_for(timeout=60_000)
            page.screenshot(path=str(ARTIFACTS / "fr_overview_order_lines.png"), full_page=True)
            browser.close()
    assert outside == []
    batches = list_batches(open_store(db_url))
    assert [(b["kind"], b["rejected"]) for b in batches] == [("ledger", 34)]


SIGN_IN = {
    "en": ("User name", "Password", "Sign in"),
    "fr": ("Identifiant", "Mot de passe", "Se connecter"),
}


def sign_in(page, base: str, path: str, name: str, password: str, lang: str = "en") -> None:
    user, secret, button = SIGN_IN[lang]
    open_page(page, f"{base}/{path}")
    page.get_by_label(user).fill(name)
    page.get_by_role("textbox", name=secret).fill(password)
    page.get_by_role("button", name=button, exact=True).click()
    page.wait_for_timeout(500)
    page.wait_for_selector("[data-testid=stApp][data-test-script-state=notRunning]", timeout=90_000)
    page.wait_for_timeout(800)


def test_login_roles_and_hostile_text_in_chromium(db_url, tmp_path):
    """Sign-in gate, a viewer typing the URL of a page it may not open, an admin's pages, and
    a customer whose name is HTML and Markdown: shown as typed, never run."""
    from dashboard.auth import accounts
    from data_loaders.importer import import_file

    sync_api = pytest.importorskip("playwright.sync_api")
    engine = open_store(db_url)
    load_demo(engine, seed=3, customers=30, months=12, end=dt.date(2026, 10, 31))
    hostile = '<img src=x onerror="alert(1)"> ![p](http://127.0.0.1:9/p.png) :red[x]'
    quoted = hostile.replace('"', '""')
    (tmp_path / "c.csv").write_text(f'customer_id,name\nEVIL,"{quoted}"\n')
    import_file(engine, "customers", tmp_path / "c.csv")
    accounts.add_user(engine, "vic", "viewer-pass", "viewer", by="test")
    accounts.add_user(engine, "ada", "admin-pass!", "admin", by="test")
    ARTIFACTS.mkdir(exist_ok=True)
    dialogs: list[str] = []
    for base in serve(db_url):
        with sync_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
            page = browser.new_page(viewport={"width": 1440, "height": 1000})
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            open_page(page, f"{base}/?lang=EN")
            assert page.get_by_text("Sign in to Encaisse").is_visible()
            assert page.get_by_text("Receivables").count() == 0
            page.screenshot(path=str(ARTIFACTS / "login.png"), full_page=True)
            sign_in(page, base, "", "vic", "wrong-password")
            assert page.get_by_text("Wrong user name or password.").is_visible()
            # a viewer who types the Data page's address: signed in, the page is not there
            sign_in(page, base, "data?lang=EN", "vic", "viewer-pass")
            assert page.get_by_role("heading", name="Overview").count() >= 1
            assert page.locator("[data-testid=stFileUploader]").count() == 0
            assert page.get_by_text("You do not have access to this page.").is_visible()
            nav = page.locator("[data-testid=stSidebarNav]").inner_text()
            assert "Overview" in nav and "Data" not in nav and "Administration" not in nav
            page.screenshot(path=str(ARTIFACTS / "viewer_types_data_url.png"), full_page=True)
            # an admin: every page, and the hostile customer shown as text
            page = browser.new_page(viewport={"width": 1440, "height": 1000})
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            # the address holds a URL-bound parameter: opening it after sign-in keeps the view
            sign_in(page, base, "admin?lang=FR", "ada", "admin-pass!", "fr")
            assert page.get_by_role("heading", name="Administration").count() == 1
            assert page.locator("[data-testid=stException]").count() == 0
            page.screenshot(path=str(ARTIFACTS / "admin.png"), full_page=True)
            assert page.get_by_text("Utilisateurs").first.is_visible()
            page.get_by_role("link", name="Vue d'ensemble", exact=True).click()
            page.wait_for_timeout(500)
            page.wait_for_selector("[data-testid=stApp][data-test-script-state=notRunning]")
            with page.expect_download() as download:
                page.get_by_role(
                    "button", name="Télécharger le dossier des indicateurs (Excel)"
                ).click()
            pack = tmp_path / "pack.xlsx"
            download.value.save_as(pack)
            from openpyxl import load_workbook

            assert load_workbook(pack).sheetnames == [
                "Indicateurs",
                "Balance âgée",
                "Retards par responsable",
                "Motifs de retard",
                "Segments",
                "Clients les plus en retard",
            ]
            page.locator("[data-testid=stSidebar]").get_by_text("EN", exact=True).click()
            page.wait_for_timeout(500)
            page.wait_for_selector("[data-testid=stApp][data-test-script-state=notRunning]")
            page.get_by_role("link", name="Customer", exact=True).click()
            page.wait_for_timeout(500)
            page.wait_for_selector("[data-testid=stApp][data-test-script-state=notRunning]")
            page.locator("[data-testid=stMain] [data-testid=stSelectbox]").first.click()
            page.keyboard.type("EVIL")
            page.keyboard.press("Enter")
            page.wait_for_timeout(1500)
            page.wait_for_selector("[data-testid=stApp][data-test-script-state=notRunning]")
            page.screenshot(path=str(ARTIFACTS / "hostile_customer.png"), full_page=True)
            heading = page.locator("[data-testid=stMain] h2").first.inner_text()
            assert heading.replace("\u200b", "") == hostile  # as typed (zero-width spaces
            # keep its address from being linked)
            assert page.locator("img[src='x'], img[src*='127.0.0.1:9']").count() == 0
            assert page.locator("[data-testid=stMain] a[href*='127.0.0.1:9']").count() == 0
            browser.close()
    assert dialogs == []  # no script ran


def _session_ids(page) -> list[str]:
    """The Streamlit session ids the server announces to ``page`` (its NewSession message)."""
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    found: list[str] = []

    def frame(payload) -> None:
        if isinstance(payload, bytes):
            msg = ForwardMsg.FromString(payload)
            if msg.WhichOneof("type") == "new_session":
                found.append(msg.new_session.initialize.session_id)

    page.on("websocket", lambda ws: ws.on("framereceived", frame))
    return found


PUT_FILE = """async ([sid, size]) => {
    const token = document.cookie.split('; ').find(c => c.startsWith('_streamlit_xsrf='))
        ?.split('=')[1];
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(size)]), 'ledger.csv');
    const answer = await fetch(`/_stcore/upload_file/${sid}/f${Date.now()}`,
        {method: 'PUT', headers: {'X-Xsrftoken': token}, body: form});
    return answer.status;
}"""


def _rss_mb(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(status.split("VmRSS:")[1].split()[0]) // 1024


def test_uploads_refused_before_sign_in(db_url):
    """Streamlit's upload endpoint takes a file from any open browser tab; Encaisse's server
    refuses it (403, body unread) until the tab has signed in with the right to upload."""
    from dashboard.auth import accounts

    sync_api = pytest.importorskip("playwright.sync_api")
    engine = open_store(db_url)
    load_demo(engine, seed=3, customers=20, months=6, end=dt.date(2026, 10, 31))
    accounts.add_user(engine, "uma", "uploader-pass", "uploader", by="test")
    accounts.add_user(engine, "vic", "viewer-pass", "viewer", by="test")
    env = {**os.environ, "ENCAISSE_DB_URL": db_url}
    command = [sys.executable, "-m", "dashboard.cli.main", "serve"]
    with running(command, env) as (base, proc), sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        statuses = {}
        for name, password in (("uma", "uploader-pass"), ("vic", "viewer-pass")):
            page = browser.new_page()
            sessions = _session_ids(page)
            open_page(page, f"{base}/?lang=EN")
            assert page.get_by_text("Sign in to Encaisse").is_visible()
            before = _rss_mb(proc.pid)
            # three 100 MiB files before sign-in: none accepted, none kept in memory
            refused = [page.evaluate(PUT_FILE, [sessions[-1], 100 * 2**20]) for _ in range(3)]
            assert refused == [403, 403, 403]
            assert _rss_mb(proc.pid) - before < 50
            sign_in(page, base, "", name, password)
            statuses[name] = page.evaluate(PUT_FILE, [sessions[-1], 1000])
            page.close()
        browser.close()
    assert statuses == {"uma": 204, "vic": 403}  # an uploader may; a viewer never


def test_the_load_script_drives_sessions_to_the_end():
    """``benchmarks/load.py`` (the 25-session figures of the README) on two sessions: each
    signs in, sees the Overview and changes the period three times; its report adds up."""
    import json

    pytest.importorskip("playwright.sync_api")
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.load", "--sessions", "2", "--settle", "1"],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=Path(__file__).parents[2],
    )
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout)
    assert report["errors"] == [] and report["timeouts"] == []
    assert report["sign_in_to_overview"]["n"] == 2
    assert report["filter_change"]["n"] == 6
    assert report["server_side"]["filter_change"]["n"] == 6
    memory = report["server_rss_mb"]
    assert memory["idle_before"] < memory["after_one_session"] <= memory["peak"]
