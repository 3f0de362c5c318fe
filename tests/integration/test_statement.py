"""The statement of account: the customer's open items, payments and balance, in the
customer's language, safe to open."""

from __future__ import annotations

import datetime as dt
import io

from openpyxl import load_workbook

from dashboard.presentation.statement import customer_language, write_statement
from data_loaders.importer import import_file
from tests.conftest import write

FILES = dict(
    customers='customer_id,name,country\nC1,=HYPERLINK("http://x"),BE\nC2,Acme GmbH,DE\n',
    invoices="invoice_id,customer_id,issue_date,due_date,amount\n"
    "A,C1,2024-01-10,2024-02-09,1000\nB,C1,2024-02-15,2024-03-16,500\n"
    "C,C1,2024-01-05,2024-01-20,300\nD,C2,2024-02-01,2024-03-02,80\n",
    payments="payment_id,invoice_id,payment_date,amount,status\n"
    "P1,A,2024-02-20,400,completed\nP2,C,2024-01-25,300,completed\nP3,B,2024-02-21,50,failed\n",
)


def load(engine, tmp_path) -> None:
    for kind in ("customers", "invoices", "payments"):
        import_file(engine, kind, write(tmp_path, f"{kind}.csv", FILES[kind]))


def rows(data: bytes) -> list[tuple]:
    ws = load_workbook(io.BytesIO(data)).active
    return [tuple(v for v in r if v is not None) for r in ws.iter_rows(values_only=True)]


def test_a_belgian_customer_gets_its_statement_in_french(engine, tmp_path):
    load(engine, tmp_path)
    sheet = rows(write_statement(engine, "C1", dt.date(2024, 2, 29), "EUR", "en"))
    assert sheet[0] == ("Relevé de compte",)
    assert sheet[1] == ("Client", '\'=HYPERLINK("http://x")')  # inert, never a formula
    # open items: A (1000, 400 paid, 600 owed, 20 days past due) and B (500, not yet due);
    # C is paid in full, B's failed payment moves nothing
    items = [r for r in sheet if r and r[0] in ("A", "B", "C")]
    assert [r[0] for r in items] == ["A", "B"]
    assert items[0][3:7] == (1000, 400, 600, 20)
    assert items[1][3:6] == (500, 0, 500)
    assert ("Solde", 1100) in sheet and ("Dont échu", 600) in sheet
    payments = sheet[sheet.index(("Date", "Facture", "Montant")) + 1 :]
    # the completed payments of the last 90 days, newest first (B's failed one is left out)
    assert [p[1:] for p in payments] == [("A", 400), ("C", 300)]


def test_a_german_customer_gets_it_in_english(engine, tmp_path):
    load(engine, tmp_path)
    sheet = rows(write_statement(engine, "C2", dt.date(2024, 2, 29), "EUR", "fr"))
    assert sheet[0] == ("Statement of account",)
    assert ("Balance", 80) in sheet and ("Of which overdue", 0) in sheet


def test_the_language_follows_the_country():
    assert customer_language("FR") == "fr" and customer_language(" be ") == "fr"
    assert customer_language("US") == "en"
    assert customer_language(None, "fr") == "fr"  # unknown: the reader's
