"""The table of article D.441-6 on a small ledger computed by hand, with a disputed invoice and
a year end that is not 31 December."""

from __future__ import annotations

import datetime as dt
import io
import json

from openpyxl import load_workbook

from dashboard.cli.main import main
from dashboard.metrics.legal import fiscal_start, legal_table, year_end
from dashboard.presentation.legal_table import write_legal_table
from data_loaders.importer import import_file
from tests.conftest import write

FILES = dict(
    invoices="invoice_id,customer_id,issue_date,due_date,amount,disputed\n"
    "L1,C1,2024-05-01,2024-06-15,1000,no\n"  # 15 days past due at E, 600 still owed
    "L2,C1,2024-03-01,2024-04-15,500,no\n"  # 76 days
    "L3,C2,2024-01-01,2024-02-15,300,no\n"  # 136 days (paid after E: open at E)
    "L4,C2,2024-04-01,2024-05-10,200,yes\n"  # disputed: left out of the bands
    "L5,C2,2024-06-01,2024-07-01,800,no\n"  # not yet due at E
    "L6,C1,2023-05-01,2023-06-01,100,no\n"  # paid, and issued the year before
    "L7,C1,2024-07-05,2024-08-05,2000,no\n",  # issued after E
    payments="payment_id,invoice_id,payment_date,amount\n"
    "P1,L1,2024-06-20,400\nP2,L3,2024-07-10,300\nP3,L6,2023-06-20,100\n",
)
E = dt.date(2024, 6, 30)


def load(engine, tmp_path) -> None:
    for kind in ("invoices", "payments"):
        import_file(engine, kind, write(tmp_path, f"{kind}.csv", FILES[kind]))


def test_the_year_end_and_its_fiscal_year():
    assert year_end(2024) == dt.date(2024, 12, 31)
    assert year_end(2024, "06-30") == E
    assert fiscal_start(E) == dt.date(2023, 7, 1)
    assert fiscal_start(dt.date(2024, 2, 29)) == dt.date(2023, 3, 1)


def test_the_table_by_hand(engine, tmp_path):
    load(engine, tmp_path)
    t = legal_table(engine, E)
    assert t["sales"] == 2800.0  # L1 to L5, issued from 2023-07-01 to 2024-06-30
    assert t["bands"] == [
        {"band": "d1_30", "invoices": 1, "amount": 600.0, "pct_of_sales": 21.43},
        {"band": "d31_60", "invoices": 0, "amount": 0.0, "pct_of_sales": 0.0},
        {"band": "d61_90", "invoices": 1, "amount": 500.0, "pct_of_sales": 17.86},
        {"band": "d91_plus", "invoices": 1, "amount": 300.0, "pct_of_sales": 10.71},
    ]
    assert t["total"] == {"invoices": 3, "amount": 1400.0, "pct_of_sales": 50.0}
    assert t["disputed"] == {"invoices": 1, "amount": 200.0}
    assert t["year_end"] == "2024-06-30"


def test_the_workbook_reads_as_the_management_report_prints_it(engine, tmp_path):
    load(engine, tmp_path)
    sheet = load_workbook(io.BytesIO(write_legal_table(legal_table(engine, E), "fr"))).active
    rows = [[v for v in r if v is not None] for r in sheet.iter_rows(values_only=True)]
    assert ["Date de clôture", "30/06/2024"] in rows
    assert ["Nombre de factures concernées", 1, 0, 1, 1, 3] in rows
    assert ["Montant total des factures concernées (TTC)", 600, 0, 500, 300, 1400] in rows
    assert ["Nombre des factures exclues", 1] in rows
    english = load_workbook(io.BytesIO(write_legal_table(legal_table(engine, E), "en"))).active
    assert english["A1"].value.startswith("Invoices issued, unpaid at the year end")


def test_the_command(engine, tmp_path, capsys, db_url):
    load(engine, tmp_path)
    out_file = tmp_path / "d441.xlsx"
    code = main(["legal-table", "--db", db_url, "--year", "2024", "--year-end", "06-30",
                 "--json", "-o", str(out_file)])  # fmt: skip
    assert code == 0 and out_file.exists()
    out = json.loads(capsys.readouterr().out)
    assert {"year_end", "bands", "total", "disputed", "sales"} <= set(out)
    assert [b["band"] for b in out["bands"]] == ["d1_30", "d31_60", "d61_90", "d91_plus"]
    assert main(["legal-table", "--db", db_url, "--year", "2024", "--year-end", "13-40"]) == 2
