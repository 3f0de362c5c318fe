"""Hostile input and output: limits and content checks on uploads, text from files shown as
text, values that reach SQL only as parameters, and exports where nothing becomes a formula."""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from dashboard import metrics
from dashboard.app.widgets import plain
from dashboard.metrics.analytics import customer_list, verbatims
from dashboard.presentation.exports import to_csv_bytes, to_xlsx_bytes
from dashboard.presentation.kpi_pack import write_report
from dashboard.storage import store
from data_loaders.importer import import_file
from data_loaders.problems import ImportRefused
from tests.conftest import new_database, table_counts, write
from tests.e2e.test_app import fresh_app

ROOT = Path(__file__).resolve().parents[2]
END = dt.date(2025, 6, 30)
# What a file may carry: HTML and script, Markdown links and images (to a local address that
# answers nothing), Streamlit directives, LaTeX, spreadsheet formulas and SQL.
HOSTILE = {
    "H1": "<script>alert('x')</script>",
    "H2": "<img src=x onerror=alert(1)>",
    "H3": "![pixel](http://127.0.0.1:9/pixel.png)",
    "H4": "[click me](javascript:alert(1))",
    "H5": ":red[**BIG**] $x^2$",
    "H6": '=HYPERLINK("http://127.0.0.1:9/x","open")',
    "H7": "'; DROP TABLE customers; --",
    "H8": "@SUM(1+1)*cmd|' /C calc'!A0",
}
SQL_ATTEMPTS = ["' OR '1'='1", "x'); DROP TABLE invoices; --", "%", "_", "\\", '"; --']


def refused(engine, path: Path, kind: str = "invoices"):
    before = table_counts(engine)
    with pytest.raises(ImportRefused) as info:
        import_file(engine, kind, path)
    assert table_counts(engine) == before
    return info.value.report.problems


# --- uploads: limits and types ---------------------------------------------------------------


def test_row_limit(engine, tmp_path, monkeypatch):
    monkeypatch.setenv("ENCAISSE_MAX_ROWS", "50")
    rows = "".join(f"I{i},C1,2024-01-01,2024-01-31,10\n" for i in range(60))
    [p] = refused(
        engine,
        write(tmp_path, "many.csv", "invoice_id,customer_id,issue_date,due_date,amount\n" + rows),
    )
    assert p.row == 52 and "more than 50 data rows" in p.message


def test_column_limit(engine, tmp_path, monkeypatch):
    monkeypatch.setenv("ENCAISSE_MAX_COLUMNS", "10")
    header = "invoice_id,customer_id,issue_date,due_date,amount," + ",".join(
        f"x{i}" for i in range(7)
    )
    [p] = refused(engine, write(tmp_path, "wide.csv", header + "\n"))
    assert p.row == 1 and "12 columns, more than the 10 allowed" in p.message


def test_file_size_limit_on_uploads(engine, tmp_path, monkeypatch):
    monkeypatch.setenv("ENCAISSE_MAX_FILE_MB", "1")
    body = "".join(f"I{i:07d},C1,2024-01-01,2024-01-31,10.00\n" for i in range(40_000))
    path = write(tmp_path, "big.csv", "invoice_id,customer_id,issue_date,due_date,amount\n" + body)
    before = table_counts(engine)
    with pytest.raises(ImportRefused) as info:
        import_file(engine, "invoices", path, upload=True)
    assert table_counts(engine) == before
    assert "more than the 1 MB allowed" in info.value.report.problems[0].message
    # the command line (the server's operator) imports files of any size
    assert import_file(engine, "invoices", path).added == 40_000


def test_a_file_named_xlsx_must_be_a_workbook(engine, tmp_path):
    [p] = refused(engine, write(tmp_path, "fake.xlsx", "invoice_id,customer_id\nA,B\n"))
    assert "named like an Excel workbook but its content is not one" in p.message
    archive = tmp_path / "archive.xlsx"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("readme.txt", "not a workbook")
    [p] = refused(engine, archive)
    assert "ZIP archive but not an Excel workbook" in p.message


def _bomb(path: Path, megabytes: int) -> None:
    """A workbook-shaped ZIP whose sheet inflates a thousandfold."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/workbook.xml", "<workbook/>")
        zf.writestr("xl/worksheets/sheet1.xml", b"<c>0</c>" * (megabytes * 2**17))


def test_decompression_bombs_are_refused_before_inflating(engine, tmp_path, monkeypatch):
    bomb = tmp_path / "bomb.xlsx"
    _bomb(bomb, 40)
    assert bomb.stat().st_size < 2**20  # 40 MB of XML in well under 1 MB
    [p] = refused(engine, bomb)
    assert "decompression bomb" in p.message and "sheet1.xml" in p.message
    monkeypatch.setenv("ENCAISSE_MAX_UNZIPPED_MB", "10")
    [p] = refused(engine, bomb)
    assert "would unpack to 40 MB, more than the 10 MB allowed" in p.message


def _far_cell_workbook(path: Path, far: str = "GR1048576") -> Path:
    """A real workbook of a few KB with a header in A1 and one cell very far away."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws["A1"], ws["B1"] = "invoice_id", "amount"
    ws[far] = "x"
    wb.save(path)
    return path


def test_a_workbook_spanning_millions_of_cells_is_refused_unread(engine, tmp_path):
    bomb = _far_cell_workbook(tmp_path / "far.xlsx")
    assert bomb.stat().st_size < 10_000
    [p] = refused(engine, bomb)
    assert "209,715,200 cells" in p.message and "holding 3" in p.message
    # the other sheet of a workbook is read as usual when it is named
    from openpyxl import load_workbook

    wb = load_workbook(bomb)
    good = wb.create_sheet("Invoices")
    good.append(["invoice_id", "customer_id", "issue_date", "due_date", "amount"])
    good.append(["F1", "C1", "2024-01-10", "2024-02-09", 100])
    wb.save(bomb)
    assert import_file(engine, "invoices", bomb, sheet="Invoices").added == 1


def test_the_far_cell_workbook_keeps_the_import_small(tmp_path, db_url):
    """Run as a process of its own: its peak memory stays far below what the reader would have
    allocated (200 million cells, several GB)."""
    import subprocess
    import sys

    bomb = _far_cell_workbook(tmp_path / "far.xlsx")
    code = (
        "import sys\n"
        "from dashboard.storage.store import open_store\n"
        "from data_loaders.importer import import_file\n"
        "from data_loaders.problems import ImportRefused\n"
        "try:\n"
        f"    import_file(open_store({db_url!r}), 'invoices', {str(bomb)!r})\n"
        "except ImportRefused as e:\n"
        "    print(e.report.problems[0].message)\n"
        # this process image's own peak (ru_maxrss would count the forking test process's)
        "peak = [l for l in open('/proc/self/status') if l.startswith('VmHWM')][0]\n"
        "print(int(peak.split()[1]) // 1024)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=True
    ).stdout.splitlines()
    assert "cells" in out[0]
    assert int(out[-1]) < 500  # MB


def test_a_macro_workbook_named_xlsx_is_refused(engine, tmp_path):
    path = tmp_path / "ledger.xlsx"
    _far_cell_workbook(tmp_path / "plain.xlsx", far="A2")
    with zipfile.ZipFile(tmp_path / "plain.xlsx") as src, zipfile.ZipFile(path, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "[Content_Types].xml":
                data = data.replace(
                    b"spreadsheetml.sheet.main+xml", b"ms-excel.sheet.macroEnabled.main+xml"
                )
            dst.writestr(item, data)
        dst.writestr("xl/vbaProject.bin", b"\x00macro")
    [p] = refused(engine, path)
    assert "macros" in p.message


def test_text_the_database_cannot_hold_is_reported(engine, tmp_path):
    long_id = "I" * 150
    # the NUL comes after the first 64 KB (a NUL up front makes it a binary file, refused whole)
    filler = "".join(f"N{i},C1,2024-01-01,2024-01-31,10\n" for i in range(3000))
    problems = refused(
        engine,
        write(
            tmp_path,
            "odd.csv",
            "invoice_id,customer_id,issue_date,due_date,amount\n"
            f"{long_id},C1,2024-01-01,2024-01-31,10\n{filler}A,C\x001,2024-01-01,2024-01-31,10\n",
        ),
    )
    assert [(p.row, p.column, p.message) for p in problems] == [
        (2, "invoice_id", "value longer than 100 characters"),
        (3003, "customer_id", "value contains a NUL character"),
    ]


@pytest.mark.parametrize(
    ("kind", "text", "column"),
    [
        ("customers", "customer_id,payment_terms_days\nC1,99999999999\n", "payment_terms_days"),
        (
            "surveys",
            "customer_id,response_date,survey_type,score\nC1,2024-01-01,csat,1e30\n",
            "score",
        ),
        (
            "invoices",
            "invoice_id,customer_id,issue_date,due_date,amount\n"
            "I1,C1,2024-01-01,2024-01-31,99999999999999999999\n",
            "amount",
        ),
    ],
)
def test_numbers_too_large_for_the_database_are_reported(engine, tmp_path, kind, text, column):
    [p] = refused(engine, write(tmp_path, "big.csv", text), kind)
    assert (p.row, p.column) == (2, column)


def test_rows_wider_than_the_header_are_refused_not_cut(engine, tmp_path):
    [p] = refused(
        engine,
        write(
            tmp_path,
            "wide.csv",
            "invoice_id,customer_id,issue_date,due_date,amount\n"
            "A,C1,2024-01-01,2024-01-31,10,lost\n",
        ),
    )
    assert p.row == 2 and "more cells than the header" in p.message


def test_the_upload_page_refuses_a_fake_workbook(tmp_path, monkeypatch):
    url, drop = new_database(tmp_path)
    store.open_store(url).dispose()
    at = fresh_app(url, monkeypatch)
    at.run()
    at.switch_page(str(ROOT / "pages" / "data.py")).run()
    at.get("file_uploader")[0].upload(
        "ledger.xlsx", b"id;amount\n1;2\n", "application/vnd.ms-excel"
    ).run()
    assert not at.exception
    assert "Nothing was written" in at.error[0].value
    drop()


def test_a_hostile_header_is_listed_as_text(tmp_path, monkeypatch):
    url, drop = new_database(tmp_path)
    store.open_store(url).dispose()
    at = fresh_app(url, monkeypatch)
    at.run()
    at.switch_page(str(ROOT / "pages" / "data.py")).run()
    header = HOSTILE["H3"].replace(",", "")
    body = f"customer_id,name,{header}\nC1,Acme,x\n".encode()
    at.get("file_uploader")[0].upload("customers.csv", body, "text/csv").run()
    at.button(key="check_upload").click().run()
    assert not at.exception, at.exception
    ignored = [c for c in markdown_bodies(at) if "Ignored" in c]
    assert ignored and header not in ignored[0] and plain(header) in ignored[0]
    drop()


# --- text shown as text, values as parameters --------------------------------------------------


@pytest.fixture
def hostile_url(tmp_path):
    """A store whose names, segments, regions, collectors and comments are hostile."""
    url, drop = new_database(tmp_path)
    engine = store.open_store(url)
    ids = list(HOSTILE)
    customers = pd.DataFrame(
        {
            "customer_id": ids,
            "name": list(HOSTILE.values()),
            "segment": [HOSTILE["H3"], HOSTILE["H1"]] * 4,
            "region": HOSTILE["H6"],
            "collector": HOSTILE["H5"],
        }
    )
    invoices = pd.DataFrame(
        {
            "invoice_id": [f"F{i}" for i in range(8)],
            "customer_id": ids,
            "issue_date": "2025-03-01",
            "due_date": "2025-04-01",
            "amount": [1000 + i for i in range(8)],
        }
    )
    surveys = pd.DataFrame(
        {
            "customer_id": ids,
            "response_date": "2025-06-01",
            "survey_type": "csat",
            "score": 2,
            "comment": list(HOSTILE.values()),
        }
    )
    reasons = pd.DataFrame(
        {
            "invoice_id": [f"F{i}" for i in range(8)],
            "reason": "other",
            "comment": list(HOSTILE.values()),
        }
    )
    payments = pd.DataFrame(  # a failed attempt by each hostile method (no money moves)
        {
            "invoice_id": [f"F{i}" for i in range(8)],
            "payment_date": "2025-06-10",
            "amount": 10,
            "method": list(HOSTILE.values()),
            "status": "failed",
        }
    )
    for kind, frame in (
        ("customers", customers),
        ("invoices", invoices),
        ("surveys", surveys),
        ("reasons", reasons),
        ("payments", payments),
    ):
        path = tmp_path / f"{kind}.csv"
        frame.to_csv(path, index=False)
        import_file(engine, kind, path)
    engine.dispose()
    yield url
    drop()


def markdown_bodies(at) -> list[str]:
    """The source text of every element that Streamlit renders as Markdown."""
    out = []
    for kind in (
        "title",
        "header",
        "subheader",
        "caption",
        "markdown",
        "info",
        "error",
        "success",
        "warning",
    ):
        out += [e.value for e in at.get(kind)]
    return out


def test_text_from_files_never_renders_as_markup(hostile_url, monkeypatch):
    at = fresh_app(hostile_url, monkeypatch, asof="2025-06-30")
    at.run()
    assert not at.exception, at.exception
    for page in ("overview", "collections", "satisfaction", "reasons", "segments", "data"):
        at.switch_page(str(ROOT / "pages" / f"{page}.py")).run()
        assert not at.exception, (page, at.exception)
        for body in markdown_bodies(at):
            for text in HOSTILE.values():
                assert text not in body, (page, body)
    for cid, name in HOSTILE.items():
        at = fresh_app(hostile_url, monkeypatch, customer=cid, asof="2025-06-30")
        at.run()
        at.switch_page(str(ROOT / "pages" / "customer.py")).run()
        assert not at.exception, at.exception
        header = at.header[0].value
        assert header != name  # escaped, and intact once the escapes are read
        assert re.sub(r"\\(.)", r"\1", header).replace("\u200b", "") == name
        for body in markdown_bodies(at):  # wherever hostile text shows, it shows escaped
            for text in HOSTILE.values():
                if text in re.sub(r"\\(.)", r"\1", body).replace("\u200b", ""):
                    assert plain(text) in body and text not in body, body
        tables = [df.value for df in at.dataframe]
        shown = {str(v) for df in tables for v in df.astype(str).to_numpy().ravel()}
        assert name in shown  # the comment is in the survey table, as typed


def test_hostile_filters_and_searches_are_only_parameters(hostile_url):
    engine = store.open_store(hostile_url)
    before = table_counts(engine)
    period = metrics.Period(dt.date(2025, 4, 1), END)
    everyone = metrics.kpis(engine, period)
    assert everyone["receivables"] == pytest.approx(sum(1000 + i for i in range(8)))
    for attempt in SQL_ATTEMPTS:
        nobody = metrics.kpis(
            engine, period, metrics.Filters(segments=(attempt,), regions=(attempt,))
        )
        assert nobody["receivables"] == 0 and nobody["csat"] is None
        found = customer_list(engine, END, metrics.Filters(), attempt)
        assert set(found["customer_id"]) <= {c for c, n in HOSTILE.items() if attempt in n}
        assert verbatims(engine, period, metrics.Filters(), attempt).shape[0] == sum(
            attempt.lower() in n.lower() for n in HOSTILE.values()
        )
    # a hostile value that does exist selects exactly its own rows
    own = metrics.kpis(engine, period, metrics.Filters(segments=(HOSTILE["H1"],)))
    assert own["receivables"] == pytest.approx(sum(1000 + i for i in range(1, 8, 2)))
    assert table_counts(engine) == before  # nothing dropped, nothing changed


def test_hostile_url_parameters_change_nothing(hostile_url, monkeypatch):
    at = fresh_app(
        hostile_url,
        monkeypatch,
        segment=SQL_ATTEMPTS[:2],
        customer=SQL_ATTEMPTS[1],
        asof="2025-06-30",
    )
    at.run()
    assert not at.exception
    at.switch_page(str(ROOT / "pages" / "customer.py")).run()
    assert not at.exception
    assert table_counts(store.open_store(hostile_url))["invoices"] == 8


# --- exports: nothing becomes a formula --------------------------------------------------------


def assert_no_formula(xlsx: bytes) -> None:
    """No cell is a formula: checked in openpyxl's reading and in the sheets' raw XML."""
    wb = load_workbook(io.BytesIO(xlsx))
    for ws in wb:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
    with zipfile.ZipFile(io.BytesIO(xlsx)) as zf:
        for name in zf.namelist():
            if name.startswith("xl/worksheets/"):
                assert b"<f>" not in zf.read(name) and b"<f " not in zf.read(name)


def test_table_exports_neutralise_formulas():
    df = pd.DataFrame(
        {"name": list(HOSTILE.values()) + ["-12", "+33 1 23", "\tx", "\x00=1"], "amount": range(12)}
    )
    assert_no_formula(to_xlsx_bytes(df, "t"))
    cells = [
        line.split(",", 1)[0] for line in to_csv_bytes(df).decode("utf-8-sig").splitlines()[1:]
    ]
    for cell in cells:
        assert not cell.lstrip('"').startswith(("=", "+", "-", "@", "\t", "\x00")), cell
    assert "'=HYPERLINK" in to_csv_bytes(df).decode("utf-8-sig")


def test_kpi_pack_has_every_section_and_no_live_formula(hostile_url, tmp_path):
    engine = store.open_store(hostile_url)
    period = metrics.Period(dt.date(2025, 4, 1), END)
    xlsx = write_report(engine, period)
    assert_no_formula(xlsx)
    wb = load_workbook(io.BytesIO(xlsx))
    assert wb.sheetnames == [
        "KPIs",
        "Aging",
        "Late euros by owner",
        "Late reasons",
        "Segments",
        "Top overdue customers",
    ]
    k = metrics.kpis(engine, period)
    kpi = {r[0]: r for r in wb["KPIs"].iter_rows(min_row=2, values_only=True) if r[0]}
    assert kpi["Receivables"][1] == pytest.approx(k["receivables"])
    assert kpi["DSO"][5] == metrics.METRICS["dso"].formula
    top = list(wb["Top overdue customers"].iter_rows(min_row=2, values_only=True))
    assert {r[0] for r in top} == set(HOSTILE)
    names = {r[1] for r in top}
    assert "'" + HOSTILE["H6"] in names and "'" + HOSTILE["H8"] in names
    assert HOSTILE["H1"] in names  # other text stays as typed
    owners = list(wb["Late euros by owner"].iter_rows(min_row=2, values_only=True))
    assert owners == [
        (
            "Credit & Collections",
            8,
            pytest.approx(sum(1000 + i for i in range(8))),
            pytest.approx(100.0),
        )
    ]


# --- copies of confidential files ---------------------------------------------------------------


def upload_copies() -> list[Path]:
    from dashboard.app import uploads

    return [p for p in uploads.root().rglob("*") if p.is_file()]


def test_uploads_are_private_and_removed_when_done(tmp_path, monkeypatch):
    url, drop = new_database(tmp_path)
    store.open_store(url).dispose()
    before = set(upload_copies())
    body = b"customer_id,name\nC1,Acme\n"
    at = fresh_app(url, monkeypatch)
    at.run()
    at.switch_page(str(ROOT / "pages" / "data.py")).run()
    # a file waiting for its check: readable by the server's user only
    at.get("file_uploader")[0].upload("customers.csv", body, "text/csv").run()
    pending = [p for p in upload_copies() if p not in before]
    assert len(pending) == 1 and pending[0].read_bytes() == body
    assert pending[0].stat().st_mode & 0o777 == 0o600
    assert all(d.stat().st_mode & 0o777 == 0o700 for d in pending[0].parents[:3])
    at.button(key="cancel_upload").click().run()  # cancelled: gone
    assert not pending[0].exists()
    at.get("file_uploader")[0].upload("customers.csv", body, "text/csv").run()
    at.button(key="commit_upload").click().run()  # committed: gone
    assert not at.exception
    assert [p for p in upload_copies() if p not in before] == []
    at.run()  # the page offers a fresh uploader after a commit
    at.get("file_uploader")[0].upload("customers.csv", b"customer_id;x\n;1\n", "text/csv").run()
    at.button(key="check_upload").click().run()  # refused: gone
    assert "Nothing was written" in at.error[0].value
    assert [p for p in upload_copies() if p not in before] == []
    drop()


def test_a_refused_workbook_leaves_no_copy(tmp_path, monkeypatch):
    url, drop = new_database(tmp_path)
    store.open_store(url).dispose()
    before = set(upload_copies())
    at = fresh_app(url, monkeypatch)
    at.run()
    at.switch_page(str(ROOT / "pages" / "data.py")).run()
    at.get("file_uploader")[0].upload("ledger.xlsx", b"not a workbook", "application/zip").run()
    assert "Nothing was written" in at.error[0].value
    assert [p for p in upload_copies() if p not in before] == []
    drop()


def test_scratch_folders_of_killed_imports_are_removed(tmp_path):
    import subprocess
    import sys

    from data_loaders.parallel import SCRATCH_PREFIX, sweep_scratch

    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    dead = tmp_path / f"{SCRATCH_PREFIX}{gone.stdout.strip()}-abc"
    mine = tmp_path / f"{SCRATCH_PREFIX}{os.getpid()}-def"
    for folder in (dead, mine):
        folder.mkdir()
        (folder / "part.db").write_bytes(b"rows")
    assert sweep_scratch(tmp_path) == [dead]
    assert not dead.exists() and mine.exists()
