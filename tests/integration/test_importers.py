"""Importers on real files: French CSV, Excel with date cells, the IBM sample."""

from __future__ import annotations

import csv
import datetime as dt

import pytest
from sqlalchemy import select

from dashboard.metrics import Period, kpis
from dashboard.storage.models import Customer, Invoice, Payment, Reason, Survey
from data_loaders.headers import match_headers
from data_loaders.importer import import_file
from data_loaders.kinds import KINDS, normalize_header
from data_loaders.problems import ImportRefused, ImportReport
from tests.conftest import FIXTURES


def rows(engine, model, *cols):
    t = model.__table__
    with engine.connect() as conn:
        q = select(*[t.c[c] for c in cols]).where(t.c.replaced_by.is_(None)).order_by(t.c.key)
        return [tuple(r) for r in conn.execute(q)]


def iso(value) -> str:
    return str(value)[:10]


def test_french_cp1252_semicolon_decimal_comma(engine):
    report = import_file(engine, "invoices", FIXTURES / "factures_fr_cp1252.csv")
    assert report.committed and report.rows_read == 4 and report.added == 4
    assert report.columns["N° facture"] == "invoice_id"
    assert report.columns["Date d'échéance"] == "due_date"
    assert report.columns["Montant TTC"] == "amount"
    assert "Commentaire interne" in report.ignored_columns
    assert report.customers_created == ["CLI-01", "CLI-02", "CLI-03"]
    got = rows(
        engine,
        Invoice,
        "invoice_id",
        "issue_date",
        "due_date",
        "amount_cents",
        "disputed",
        "delivery_channel",
    )
    assert [(a, iso(b), iso(c), d, e, f) for a, b, c, d, e, f in got] == [
        ("FA-001", "2024-01-05", "2024-02-04", 123456, False, "paper"),
        ("FA-002", "2024-01-20", "2024-02-19", 200000, True, "paper"),
        ("FA-003", "2024-02-13", "2024-03-14", 9990, False, "portal"),
        ("FA-004", "2024-03-01", "2024-03-31", 1000000, False, "email"),
    ]
    assert rows(engine, Customer, "customer_id", "segment")[0] == ("CLI-01", "Unassigned")


def test_french_payments_reasons_surveys(engine):
    import_file(engine, "invoices", FIXTURES / "factures_fr_cp1252.csv")
    pay = import_file(engine, "payments", FIXTURES / "reglements_fr_cp1252.csv")
    assert pay.added == 4
    assert rows(engine, Payment, "payment_id", "amount_cents", "method", "status") == [
        ("REG-1", 123456, "transfer", "completed"),
        ("REG-2", 100000, "card", "failed"),
        ("REG-3", 100000, "transfer", "completed"),
        ("REG-4", 9990, "direct_debit", "completed"),
    ]
    rea = import_file(engine, "reasons", FIXTURES / "motifs_fr.csv")
    assert rea.added == 3
    assert rows(engine, Reason, "invoice_id", "reason", "owner") == [
        ("FA-001", "invoice_not_received", None),
        ("FA-002", "forgotten", "Customer"),
        ("FA-002", "price_dispute", None),
    ]
    sur = import_file(engine, "surveys", FIXTURES / "enquetes_fr.csv")
    assert sur.added == 4
    k = kpis(engine, Period(dt.date(2024, 2, 1), dt.date(2024, 2, 29)))
    assert k["collected"] == pytest.approx(2234.56)
    assert k["payment_failure_rate"] == pytest.approx(100 / 3)
    assert k["csat"] == 100 and k["nps"] == 0 and k["ces"] == 3
    assert k["owners"] == [
        {"owner": "Customer", "invoices": 1, "amount": 2000.0},
        {"owner": "Sales", "invoices": 1, "amount": 2000.0},
        {"owner": "Billing (ADV)", "invoices": 1, "amount": 1234.56},
    ]


def test_excel_ledger_with_date_cells(engine):
    report = import_file(engine, "ledger", FIXTURES / "ledger_en.xlsx")
    assert report.committed and report.rows_read == 4
    assert report.customers_created == ["K-1", "S-7"]
    inv = rows(engine, Invoice, "invoice_id", "issue_date", "amount_cents")
    assert [(a, iso(b), c) for a, b, c in inv] == [
        ("00042", "2024-02-20", 7500),
        ("INV-1", "2024-01-10", 100000),
        ("INV-2", "2024-02-15", 50050),
        ("INV-3", "2024-02-01", 25025),
    ]
    pay = rows(engine, Payment, "key", "payment_date", "amount_cents")
    assert [(a, iso(b), c) for a, b, c in pay] == [
        ("ledger:00042", "2024-02-28", 7500),
        ("ledger:INV-1", "2024-02-20", 100000),
        ("ledger:INV-3", "2024-02-25", 10025),
    ]
    assert rows(engine, Customer, "customer_id", "name", "segment") == [
        ("K-1", "Kappa Ltd", "Key accounts"),
        ("S-7", "Sigma SARL", "SMB"),
    ]
    k = kpis(engine, Period(dt.date(2024, 2, 1), dt.date(2024, 2, 29)))
    assert k["receivables"] == pytest.approx(500.50 + 150.00)


def test_excel_named_sheet_and_serial_dates(engine):
    import_file(engine, "ledger", FIXTURES / "ledger_en.xlsx")
    report = import_file(engine, "surveys", FIXTURES / "ledger_en.xlsx", sheet="Surveys")
    assert report.added == 2
    got = rows(engine, Survey, "response_id", "response_date", "survey_type", "score", "comment")
    assert [(a, iso(b), c, d, e) for a, b, c, d, e in got] == [
        ("R1", "2024-02-10", "csat", 5, "Great follow-up"),
        ("R2", "2024-02-29", "nps", 10, None),
    ]


def test_ibm_sample_imports_as_is_and_matches_its_columns(engine, ibm_csv):
    report = import_file(engine, "ledger", ibm_csv)
    assert report.committed and report.rows_read == 2466
    assert len(report.customers_created) == 100
    assert set(report.ignored_columns) == {"PaperlessDate", "DaysToSettle", "DaysLate"}
    with open(ibm_csv, newline="") as f:
        src = list(csv.DictReader(f))
    total_cents = sum(round(float(r["InvoiceAmount"]) * 100) for r in src)
    weighted = sum(
        round(float(r["InvoiceAmount"]) * 100) * (int(r["DaysToSettle"]) - 30) for r in src
    )
    disputed = sum(r["Disputed"] == "Yes" for r in src)
    period = Period(dt.date(2012, 1, 1), dt.date(2014, 1, 9))
    k = kpis(engine, period)
    assert k["credit_sales"] == k["collected"] == total_cents / 100 == 147703.18
    assert k["receivables"] == 0 and k["recovery_rate"] == 100
    assert k["avg_days_late"] == pytest.approx(weighted / total_cents, abs=1e-9)
    assert k["dispute_rate"] == pytest.approx(100 * disputed / len(src))
    # Days late as the file computes it (DaysLate = max(0, settled - due)) for 2013 settlements
    settled_2013 = [r for r in src if r["SettledDate"].endswith("/2013")]
    late_amount = sum(round(float(r["InvoiceAmount"]) * 100) for r in settled_2013)
    late_weighted = sum(
        round(float(r["InvoiceAmount"]) * 100) * (int(r["DaysToSettle"]) - 30) for r in settled_2013
    )
    y13 = kpis(engine, Period(dt.date(2013, 1, 1), dt.date(2013, 12, 31)))
    assert y13["avg_days_late"] == pytest.approx(late_weighted / late_amount, abs=1e-9)
    # Open items as of a mid-sample date: invoices issued by then and settled after it
    as_of = dt.date(2013, 6, 30)

    def d(text):
        m, day, y = map(int, text.split("/"))
        return dt.date(y, m, day)

    open_cents = sum(
        round(float(r["InvoiceAmount"]) * 100)
        for r in src
        if d(r["InvoiceDate"]) <= as_of < d(r["SettledDate"])
    )
    mid = kpis(engine, Period(dt.date(2013, 4, 2), as_of))
    assert mid["receivables"] == open_cents / 100


@pytest.mark.parametrize(
    "header, column",
    [
        ("customerID", "customer_id"),
        ("Customer ID", "customer_id"),
        ("N° client", "customer_id"),
        ("code client", "customer_id"),
        ("Numéro client", "customer_id"),
        ("InvoiceAmount", "amount"),
        ("Montant TTC", "amount"),
        ("N° facture", "invoice_id"),
        ("Date facture", "issue_date"),
        ("Date d'échéance", "due_date"),
        ("SettledDate", "paid_date"),
        ("Date de règlement", "paid_date"),
        ("invoiceNumber", "invoice_id"),
        ("DUE_DATE", "due_date"),
    ],
)
def test_header_synonyms(header, column):
    report = ImportReport("ledger", "x")
    matched = match_headers(KINDS["ledger"], [header], None, report)
    assert matched == {header: column}


def test_reason_header_in_french():
    report = ImportReport("reasons", "x")
    assert match_headers(KINDS["reasons"], ["Motif de retard"], None, report) == {
        "Motif de retard": "reason"
    }


def test_no_header_form_means_two_columns_of_one_kind():
    for kind in KINDS.values():
        seen: dict[str, str] = {}
        for col in kind.columns:
            for form in col.header_forms():
                assert seen.setdefault(form, col.name) == col.name, (kind.name, form)
    assert normalize_header("Date d'Échéance") == "datedecheance"


def test_map_names_an_unrecognised_column(engine, tmp_path):
    path = tmp_path / "odd.csv"
    path.write_text("Ref,Who,Billed,Pay by,Total\nX1,C9,2024-01-01,2024-01-31,10\n")
    report = import_file(
        engine,
        "invoices",
        path,
        mapping={
            "Ref": "invoice_id",
            "Who": "customer_id",
            "Billed": "issue_date",
            "Pay by": "due_date",
        },
    )
    assert report.committed and report.added == 1


def test_dry_run_writes_nothing(engine):
    from tests.conftest import table_counts

    before = table_counts(engine)
    report = import_file(engine, "invoices", FIXTURES / "factures_fr_cp1252.csv", dry_run=True)
    assert report.added == 4 and not report.committed
    assert table_counts(engine) == before


def test_an_actions_time_from_excel_cells_and_from_text(engine, tmp_path):
    """A call log's time: Excel date-and-time cells, a time-typed column, text such as 14h30
    or 2:05 PM; a date at midnight is a date alone."""
    from openpyxl import Workbook

    from dashboard.storage.models import Action
    from tests.conftest import write

    import_file(
        engine,
        "invoices",
        write(
            tmp_path,
            "i.csv",
            "invoice_id,customer_id,issue_date,due_date,amount\nA,C,2024-01-01,2024-01-31,10\n",
        ),
    )
    wb = Workbook()
    ws = wb.active
    ws.append(["Activity ID", "Customer", "Invoice", "Activity date", "Channel"])
    ws.append(["a1", "C", "A", dt.datetime(2024, 2, 5, 14, 32), "phone"])
    ws.append(["a2", "C", "A", dt.datetime(2024, 2, 6), "phone"])  # midnight: no time
    ws.append(["a3", "C", "A", dt.date(2024, 2, 7), "phone"])
    wb.save(tmp_path / "calls.xlsx")
    wb = Workbook()
    ws = wb.active
    ws.append(["Activity ID", "Customer", "Invoice", "Activity date", "Call time", "Channel"])
    ws.append(["b1", "C", "A", dt.date(2024, 2, 8), dt.time(8, 5), "phone"])
    ws.append(["b2", "C", "A", dt.date(2024, 2, 9), "14h30", "phone"])
    ws.append(["b3", "C", "A", dt.date(2024, 2, 9), "2:05 PM", "phone"])
    ws.append(["b4", "C", "A", dt.date(2024, 2, 9), None, "phone"])
    wb.save(tmp_path / "calls2.xlsx")
    for name in ("calls.xlsx", "calls2.xlsx"):
        report = import_file(engine, "actions", tmp_path / name)
        assert report.ok, report.problems
    with engine.connect() as conn:
        t = Action.__table__
        got = dict(conn.execute(select(t.c.action_id, t.c.action_time)).all())
    assert got == {
        "a1": dt.time(14, 32),
        "a2": None,
        "a3": None,
        "b1": dt.time(8, 5),
        "b2": dt.time(14, 30),
        "b3": dt.time(14, 5),
        "b4": None,
    }
    bad = "action_id,customer_id,invoice_id,action_date,heure\nz,C,A,2024-02-10,25:61\n"
    with pytest.raises(ImportRefused) as refused:
        import_file(engine, "actions", write(tmp_path, "bad.csv", bad))
    (problem,) = refused.value.report.problems
    assert (problem.row, problem.column, problem.value) == (2, "heure", "25:61")
    assert "not a time of day" in problem.message
