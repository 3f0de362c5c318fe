"""Exports as teams really have them (SPEC section 2, second wave): each fixture is written in the
shape of a real export (an energy supplier's invoices, a mobile app's NPS, a billing tool's
dunning log, a checkout survey, a shop's invoices without due dates), plus the public Telco
satisfaction file as it is. The figures are those the files say, computed by hand."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from dashboard.metrics import Period
from dashboard.metrics.engine import kpis as compute_kpis
from dashboard.storage.models import Action, Customer, Invoice, Survey
from data_loaders.importer import import_file
from data_loaders.problems import ImportRefused
from tests.conftest import FIXTURES, SHARED, table_counts, write

EXPORTS = FIXTURES / "exports"
TELCO = SHARED / "Telco_customer_churn_status.xlsx"


def rows(engine, model, *cols):
    t = model.__table__
    with engine.connect() as conn:
        q = select(*(t.c[c] for c in cols)).where(t.c.replaced_by.is_(None))
        return sorted((tuple(r) for r in conn.execute(q).all()), key=repr)


def kpis(engine, start: str, end: str) -> dict:
    """The KPIs of [start, end], the same from both metric engines."""
    period = Period(dt.date.fromisoformat(start), dt.date.fromisoformat(end))
    by_sql = compute_kpis(engine, period, choice="sql")
    assert compute_kpis(engine, period, choice="columnar") == by_sql
    return by_sql


def test_french_energy_invoices_import_by_meaning_and_take_the_amount_tax_included(engine):
    report = import_file(engine, "invoices", EXPORTS / "energie_factures.csv")
    assert report.columns == {
        "facture_id": "invoice_id",
        "client_id": "customer_id",
        "date_facture": "issue_date",
        "date_echeance": "due_date",
        "montant_ttc_eur": "amount",
    }
    assert "montant_ht_eur" in report.ignored_columns and "tva_eur" in report.ignored_columns
    assert any("tax included" in n for n in report.notes)
    assert rows(engine, Invoice, "invoice_id", "due_date", "amount_cents") == [
        ("FAC-2024-000118", dt.date(2024, 2, 4), 150000),
        ("FAC-2024-000119", dt.date(2024, 1, 19), 10000),
        ("FAC-2024-000120", dt.date(2024, 3, 6), 125000),
        ("FAC-2024-000121", dt.date(2024, 3, 13), 1200000),
    ]
    # TTC: 1,500 + 100 + 1,250 + 12,000 (HT would be 12,375.00)
    assert kpis(engine, "2024-01-01", "2024-03-31")["credit_sales"] == 14850.0


def test_ttc_wins_whichever_comes_first(engine, tmp_path):
    path = write(
        tmp_path,
        "f.csv",
        "N° facture;Code client;Date facture;Échéance;Montant TTC €;Montant HT €\n"
        "F1;C1;01/02/2024;02/03/2024;120,00;100,00\n",
    )
    report = import_file(engine, "invoices", path)
    assert report.columns["Montant TTC €"] == "amount"
    assert "Montant HT €" in report.ignored_columns
    assert rows(engine, Invoice, "amount_cents") == [(12000,)]


def test_mobile_app_nps_export_needs_no_flag(engine):
    report = import_file(engine, "surveys", EXPORTS / "app_nps_export.csv")
    assert report.columns["user_id"] == "customer_id" and report.columns["nps_rating"] == "nps"
    assert report.no_answer == 1  # u_1005 skipped the question
    assert rows(engine, Survey, "customer_id", "survey_type", "score") == [
        ("u_1001", "nps", 10),
        ("u_1001", "nps", 6),
        ("u_1002", "nps", 9),
        ("u_1003", "nps", 7),
        ("u_1004", "nps", 3),
    ]
    k = kpis(engine, "2024-03-01", "2024-03-31")
    # promoters 10, 9; detractors 3, 6: (2 - 2) / 5
    assert (k["nps"], k["survey_responses"]["nps"]) == (0.0, 5)


def test_dunning_log_without_channel_keeps_its_steps_and_reads_plans(engine):
    report = import_file(engine, "actions", EXPORTS / "dunning_log.csv")
    assert report.columns["action"] == "step"
    got = rows(engine, Action, "customer_id", "action_date", "channel", "step", "outcome")
    assert len(got) == 8
    by_step = {(r[0], r[3]): (r[2], r[4]) for r in got}
    assert by_step[("CUST-7", "Reminder Sent")] == ("unknown", None)
    assert by_step[("CUST-7", "Phone Call")] == ("phone", None)
    assert by_step[("CUST-7", "Arrangement Agreed")] == ("unknown", "plan_agreed")
    assert by_step[("CUST-9", "Arrangement Broken")] == ("unknown", "plan_broken")
    assert by_step[("CUST-9", "Final Notice")] == ("formal_notice", None)
    assert by_step[("CUST-9", "Mise en demeure")] == ("formal_notice", None)


def test_a_set_channel_is_not_overridden_by_the_step(engine):
    report = import_file(
        engine, "actions", EXPORTS / "dunning_log.csv", fixed={"channel": "letter"}
    )
    assert report.committed
    assert {r[0] for r in rows(engine, Action, "channel")} == {"letter"}


def test_checkout_survey_wide_and_anonymous(engine):
    report = import_file(engine, "surveys", EXPORTS / "checkout_survey.csv")
    assert report.columns["CSAT (1-5)"] == "csat"
    assert report.columns["CES rating (scale: 1-7)"] == "ces"
    assert report.columns["Submitted At"] == "response_date"
    assert report.no_answer == 2 and report.customers_created == []
    got = rows(engine, Survey, "response_date", "survey_type", "score")
    assert [r for r in got if r[1] == "csat"] == [
        (dt.date(2024, 5, 2), "csat", 4),
        (dt.date(2024, 5, 2), "csat", 5),
        (dt.date(2024, 5, 3), "csat", 2),
        (dt.date(2024, 5, 4), "csat", 3),
    ]
    assert {r[0] for r in rows(engine, Survey, "customer_id")} == {None}
    assert table_counts(engine)["customers"] == 0  # anonymous answers create no customer
    # one comment per respondent, not one per answer
    comments = [c for (c,) in rows(engine, Survey, "comment") if c]
    assert sorted(comments) == ["Card refused twice", "Delivery slot, again", "Fast and easy"]
    k = kpis(engine, "2024-05-01", "2024-05-31")
    assert (k["csat"], k["survey_responses"]["csat"]) == (50.0, 4)  # 5 and 4 of 5, 4, 2, 3
    assert (k["ces"], k["survey_responses"]["ces"]) == (3.25, 4)  # (2 + 6 + 1 + 4) / 4


def test_wide_scores_are_checked_on_their_own_column(engine, tmp_path):
    path = write(
        tmp_path,
        "s.csv",
        "Date,Customer,NPS,Satisfaction\n2024-01-05,C1,11,3\n2024-01-06,C2,8,9\n",
    )
    with pytest.raises(ImportRefused) as err:
        import_file(engine, "surveys", path)
    found = {(p.row, p.column, p.value) for p in err.value.report.problems}
    assert found == {(2, "NPS", "11"), (3, "Satisfaction", "9")}
    assert table_counts(engine)["surveys"] == 0


def test_a_score_column_can_be_mapped_to_its_survey(engine, tmp_path):
    path = write(tmp_path, "s.csv", "Date,Customer,Q4\n2024-01-05,C1,9\n")
    import_file(engine, "surveys", path, mapping={"Q4": "nps"})
    assert rows(engine, Survey, "survey_type", "score") == [("nps", 9)]


def test_invoices_without_due_date_take_the_terms(engine, tmp_path):
    import_file(
        engine,
        "customers",
        write(tmp_path, "c.csv", "customer_id,payment_terms_days\nCUST-9,45\n"),
    )
    with pytest.raises(ImportRefused) as err:
        import_file(engine, "invoices", EXPORTS / "invoices_without_due_date.csv")
    assert "--terms" in err.value.report.text()
    import_file(engine, "invoices", EXPORTS / "invoices_without_due_date.csv", terms_days=30)
    assert rows(engine, Invoice, "invoice_id", "due_date") == [
        ("INV-1", dt.date(2024, 2, 14)),  # no terms known: 30 days
        ("INV-2", dt.date(2024, 3, 5)),  # CUST-9's own 45 days
    ]


def test_set_fills_a_missing_column_and_refuses_one_the_file_has(engine, tmp_path):
    path = write(tmp_path, "s.csv", "Customer ID,Score\nC1,4\nC2,2\n")
    with pytest.raises(ImportRefused) as err:
        import_file(engine, "surveys", path, fixed={"survey_type": "csat"})
    assert [p.column for p in err.value.report.problems] == ["response_date"]
    import_file(
        engine, "surveys", path, fixed={"survey_type": "csat", "response_date": "2024-06-30"}
    )
    assert rows(engine, Survey, "customer_id", "response_date", "survey_type", "score") == [
        ("C1", dt.date(2024, 6, 30), "csat", 4),
        ("C2", dt.date(2024, 6, 30), "csat", 2),
    ]
    with pytest.raises(ImportRefused) as err:
        import_file(engine, "surveys", path, fixed={"score": "5", "survey_type": "csat"})
    assert "--set score but the file has this column" in err.value.report.text()
    with pytest.raises(ImportRefused) as err:
        import_file(engine, "surveys", path, fixed={"colour": "blue"})
    assert "--set names an unknown surveys column" in err.value.report.text()


def test_a_header_mapped_twice_is_refused_not_replaced(engine, tmp_path):
    path = write(tmp_path, "i.csv", "Ref,Client,Date,Due,Total\nF1,C1,2024-01-01,2024-01-31,10\n")
    with pytest.raises(ImportRefused) as err:
        import_file(engine, "invoices", path, mapping=[("Ref", "invoice_id"), ("Ref", "name")])
    assert "--map gives this header twice (invoice_id and name)" in err.value.report.text()


def test_every_problem_in_one_pass(engine, tmp_path):
    """A missing column, bad values and a duplicate key: all in the first report."""
    import_file(engine, "invoices", write(tmp_path, "i.csv", INVOICES))
    path = write(
        tmp_path,
        "p.csv",
        "invoice_id,payment_date,amount,payment_id\n"
        "A,2024-02-01,abc,P1\n"
        "ZZZ,2024-02-01,10,P2\n"
        "A,2024-02-03,5,P3\n"
        "A,2024-02-04,6,P3\n",
    )
    with pytest.raises(ImportRefused) as err:
        import_file(engine, "payments", path)
    messages = {(p.row, p.message) for p in err.value.report.problems}
    assert (2, "not an amount") in messages
    assert (3, "unknown invoice") in messages
    assert (5, "same key as row 4 with different values") in messages
    # a missing required column does not hide the bad values of the others
    path = write(tmp_path, "q.csv", "invoice_id,amount\nA,abc\n")
    with pytest.raises(ImportRefused) as err:
        import_file(engine, "payments", path)
    messages = {(p.row, p.column, p.message) for p in err.value.report.problems}
    assert (1, "payment_date", "required column is missing") in messages
    assert (2, "amount", "not an amount") in messages


INVOICES = "invoice_id,customer_id,issue_date,due_date,amount\nA,C1,2024-01-10,2024-02-09,100\n"


def test_customers_have_a_type_and_a_credit_limit(engine, tmp_path):
    path = write(
        tmp_path,
        "c.csv",
        "Code client;Type de client;Limite de crédit\nC1;Particulier;1 500,00\nC2;Public;\nC3;;\n",
    )
    import_file(engine, "customers", path)
    assert rows(engine, Customer, "customer_id", "customer_type", "credit_limit_cents") == [
        ("C1", "b2c", 150000),
        ("C2", "public", None),
        ("C3", None, None),
    ]


def test_telco_satisfaction_file_with_the_date_the_user_states(engine):
    if not TELCO.exists():
        pytest.skip(f"Telco churn sample not found at {TELCO} (it lives in ../shared)")
    with pytest.raises(ImportRefused) as err:
        import_file(engine, "surveys", TELCO)
    assert [p.column for p in err.value.report.problems] == ["response_date"]
    assert "--set response_date=VALUE" in err.value.report.text()
    report = import_file(engine, "surveys", TELCO, fixed={"response_date": "2022-09-30"})
    assert report.columns["Satisfaction Score"] == "csat"
    assert report.columns["Customer ID"] == "customer_id"
    k = kpis(engine, "2022-07-01", "2022-09-30")
    # SOURCES.md: scores 1: 922, 3: 2,665, 4: 1,789, 5: 1,149 of 7,043
    assert k["survey_responses"]["csat"] == 7043
    assert k["csat"] == pytest.approx(100 * (1789 + 1149) / 7043)


WRITE_OFF_LEDGER = (
    "invoice_id,customer_id,issue_date,due_date,amount,paid_date,paid_amount,status\n"
    "A,C1,2024-01-10,2024-02-09,1000,2024-02-20,,written off\n"
    "B,C1,2024-02-15,2024-03-16,500,,,unpaid\n"
    "C,C1,2024-02-01,2024-02-10,300,2024-02-12,100,Passée en perte\n"
)


def test_write_offs_leave_receivables_and_are_never_collected(engine, tmp_path):
    import_file(engine, "ledger", write(tmp_path, "l.csv", WRITE_OFF_LEDGER))
    assert rows(engine, Invoice, "invoice_id", "written_off_cents", "written_off_date") == [
        ("A", 100000, dt.date(2024, 2, 20)),
        ("B", None, None),
        ("C", 20000, dt.date(2024, 2, 12)),
    ]
    k = kpis(engine, "2024-02-01", "2024-02-29")
    assert k["credit_sales"] == 800.0  # B and C
    assert k["collected"] == 100.0  # C's part paid; write-offs are not cash
    assert k["written_off"] == 1200.0  # A 1,000 + C 200
    assert k["bad_debt_rate"] == 150.0
    assert k["receivables"] == 500.0  # A and C left receivables; B is open
    # A owed 1,000, got 0; C owed 300, got 100
    assert k["recovery_rate"] == pytest.approx(100 * 100 / 1300)
    assert k["avg_days_late"] is None  # no invoice was paid in full
    jan = kpis(engine, "2024-01-01", "2024-01-31")
    assert (jan["receivables"], jan["written_off"]) == (1000.0, 0.0)  # not yet written off


def test_invoice_lines_sum_and_each_line_settles_its_own_amount(engine, tmp_path):
    path = write(
        tmp_path,
        "lines.csv",
        "invoice,company_id,invoice_post_date,order_amount,collection_status,collection_date\n"
        "II-1,C1,2024-03-01,10.50,Paid,2024-03-20\n"
        "II-1,C1,2024-03-01,4.50,Paid,2024-03-20\n"
        "II-1,C1,2024-03-01,5.00,Write-Off,\n"
        "II-2,C2,2024-03-02,7.00,Paid,2024-03-05\n"
        "II-2,C2,2024-03-02,3.00,Paid,2024-03-09\n",
    )
    report = import_file(engine, "ledger", path, terms_days=30)
    assert any("Invoice lines: 2 invoice(s) given on 5 rows" in n for n in report.notes)
    assert rows(engine, Invoice, "invoice_id", "amount_cents", "due_date", "written_off_cents") == [
        ("II-1", 2000, dt.date(2024, 3, 31), 500),
        ("II-2", 1000, dt.date(2024, 4, 1), None),
    ]
    k = kpis(engine, "2024-03-01", "2024-04-30")
    assert (k["credit_sales"], k["collected"], k["written_off"]) == (30.0, 25.0, 5.0)
    assert k["receivables"] == 0.0
    again = import_file(engine, "ledger", path, terms_days=30)  # idempotent
    assert (again.added, again.replaced) == (0, 0)


def test_lines_that_disagree_are_a_problem(engine, tmp_path):
    path = write(
        tmp_path,
        "lines.csv",
        "invoice_id,customer_id,issue_date,due_date,amount\n"
        "F1,C1,2024-03-01,2024-03-31,10\n"
        "F1,C2,2024-03-01,2024-03-31,5\n",
    )
    with pytest.raises(ImportRefused) as err:
        import_file(engine, "invoices", path)
    [problem] = err.value.report.problems
    assert (problem.row, problem.column, problem.value) == (3, "customer_id", "C2")
    assert "invoice of row 2" in problem.message


def test_reject_file_commits_the_valid_rows_and_keeps_the_others(engine, tmp_path):
    path = write(
        tmp_path,
        "p.csv",
        "invoice_id,customer_id,issue_date,due_date,amount\n"
        "G1,C1,2024-03-01,2024-03-31,10\n"
        'G2,C1,2024-03-01,2024-03-31,=HYPERLINK("http://x")\n'
        "G3,C1,2024-03-01,2024-03-31,30\n"
        "G3,C1,2024-03-01,2024-03-31,abc\n",
    )
    with pytest.raises(ImportRefused):  # without --reject-file: all or nothing
        import_file(engine, "invoices", path)
    assert table_counts(engine)["invoices"] == 0
    rejects = tmp_path / "out" / "rejects.csv"
    report = import_file(engine, "invoices", path, reject_file=rejects)
    assert report.committed and report.rejected == 3  # G2, and both lines of G3
    assert rows(engine, Invoice, "invoice_id", "amount_cents") == [("G1", 1000)]
    import csv

    got = list(csv.DictReader(rejects.read_text(encoding="utf-8-sig").splitlines()))
    assert [r["row"] for r in got] == ["3", "4", "5"]
    assert got[0]["problem"].startswith("amount: not an amount")
    assert got[0]["amount"].startswith("'=")  # inert in a spreadsheet
    assert "another line of its invoice" in got[1]["problem"]
    from dashboard.storage.store import list_batches

    assert list_batches(engine)[0]["rejected"] == 3


def test_a_file_whose_every_row_is_bad_is_refused_even_with_a_reject_file(engine, tmp_path):
    path = write(
        tmp_path, "p.csv", "invoice_id,customer_id,issue_date,due_date,amount\nX,C,a,b,c\n"
    )
    with pytest.raises(ImportRefused) as err:
        import_file(engine, "invoices", path, reject_file=tmp_path / "r.csv")
    assert "every row was refused" in err.value.report.text()
    assert table_counts(engine)["batches"] == 0


FINANCE = SHARED / "finance_dashboard_sample_data.xlsx"


def test_order_line_ledger_as_it_is(engine, tmp_path):
    """The public order-line ledger: lines, Paid/Unpaid/Write-Off, no due date, rows not yet
    invoiced; with --terms and --reject-file only, its figures are the file's."""
    if not FINANCE.exists():
        pytest.skip(f"finance dashboard sample not found at {FINANCE} (it lives in ../shared)")
    import pandas as pd

    rejects = tmp_path / "rejects.csv"
    report = import_file(engine, "ledger", FINANCE, terms_days=30, reject_file=rejects)
    assert report.committed
    df = pd.read_excel(FINANCE, engine="calamine")
    refused = pd.read_csv(rejects)
    # refused: 12 rows not yet invoiced, 17 "Other", 4 "Paid" without a date, and the one
    # good line of an invoice that had an "Other" line
    assert len(refused) == report.rejected == 34
    assert (refused["collection_status"] == "Other").sum() == 17
    assert refused["invoice_post_date"].isna().sum() == 12
    kept = df[~(df.index + 2).isin(refused["row"])]
    cents = lambda v: round(float(v) * 100)  # noqa: E731
    k = kpis(engine, "2023-01-01", "2025-12-31")
    assert cents(k["credit_sales"]) == cents(kept["order_amount"].sum())
    paid = kept[kept["collection_status"] == "Paid"]
    assert cents(k["collected"]) == cents(paid["order_amount"].sum())
    off = kept[kept["collection_status"] == "Write-Off"]
    assert cents(k["written_off"]) == cents(off["order_amount"].sum()) == 335316
    unpaid = kept[kept["collection_status"] == "Unpaid"]
    assert cents(k["receivables"]) == cents(unpaid["order_amount"].sum())


FEC_2023 = EXPORTS / "123456789FEC20231231.txt"  # pipe, Debit/Credit, UTF-8
FEC_2024 = EXPORTS / "123456789FEC20241231.txt"  # tab, Montant/Sens, ISO-8859-15


def test_fec_gives_invoices_payments_credit_notes_and_write_offs(engine):
    with pytest.raises(ImportRefused) as err:
        import_file(engine, "fec", FEC_2023)
    assert "--terms" in err.value.report.text()
    report = import_file(engine, "fec", FEC_2023, terms_days=30)
    assert any("Payments on account: 1 line(s), 500.00" in n for n in report.notes)
    got = rows(engine, Invoice, "invoice_id", "customer_id", "amount_cents", "due_date",
               "written_off_cents")  # fmt: skip
    assert got == [
        ("F2023-001", "CLI001", 120000, dt.date(2023, 2, 4), None),
        ("F2023-002", "CLI002", 60000, dt.date(2023, 3, 12), None),
        ("F2023-004", "CLI001", 36000, dt.date(2023, 3, 31), None),  # 480 less a 120 credit note
        ("F2023-005", "CLI003", 90000, dt.date(2024, 1, 14), None),
        ("F2023-006", "CLI004", 30000, dt.date(2023, 7, 1), 30000),  # 654: a bad debt
    ]
    assert dict(rows(engine, Customer, "customer_id", "name"))["CLI002"] == "Mairie de Lyon"
    k = kpis(engine, "2023-01-01", "2023-12-31")
    assert (k["credit_sales"], k["collected"], k["written_off"]) == (3360.0, 1760.0, 300.0)
    assert k["receivables"] == 1300.0  # F2023-002's 400 (lettered partly) and F2023-005
    # the supplier invoice (401) is not receivables; the same file again changes nothing
    again = import_file(engine, "fec", FEC_2023, terms_days=30)
    assert (again.added, again.replaced, again.unchanged) == (0, 0, 8)


def test_two_fiscal_years_are_not_counted_twice(engine):
    import_file(engine, "fec", FEC_2023, terms_days=30)
    report = import_file(engine, "fec", FEC_2024, terms_days=30)
    assert any("2 open item(s) of the previous year already held" in n for n in report.notes)
    assert len(rows(engine, Invoice, "invoice_id")) == 6  # 5 of 2023, 1 of 2024
    k = kpis(engine, "2024-01-01", "2024-12-31")
    assert (k["credit_sales"], k["collected"], k["receivables"]) == (240.0, 1300.0, 240.0)


def test_the_second_year_alone_brings_its_open_items_and_the_first_year_completes_them(engine):
    import_file(engine, "fec", FEC_2024, terms_days=30)
    # alone, the opening entries are the only trace of the 2023 items: open amounts
    assert ("F2023-002", 40000) in rows(engine, Invoice, "invoice_id", "amount_cents")
    import_file(engine, "fec", FEC_2023, terms_days=30)
    assert len(rows(engine, Invoice, "invoice_id")) == 6
    k = kpis(engine, "2024-01-01", "2024-12-31")
    assert k["receivables"] == 240.0  # F2023-002: 600 issued, 200 + 400 paid


def test_fec_without_auxiliary_accounts_uses_the_account_number(engine, tmp_path):
    head = ("JournalCode\tJournalLib\tEcritureNum\tEcritureDate\tCompteNum\tCompteLib\tCompAuxNum"
            "\tCompAuxLib\tPieceRef\tPieceDate\tEcritureLib\tDebit\tCredit\tEcritureLet\tDateLet"
            "\tValidDate\tMontantdevise\tIdevise\n")  # fmt: skip
    body = (
        "VE\tJournal des ventes\t12\t20240105\t411DUPONT\tDupont SARL\t\t\tFA12\t20240105\tFA12"
        "\t120,00\t0,00\tA\t20240110\t20240131\t\t\n"
        "BNQ\tCrédit Agricole\t13\t20240110\t411DUPONT\tDupont SARL\t\t\tCHQ55\t20240110\tChèque"
        "\t0,00\t120,00\tA\t20240110\t20240131\t\t\n"
        "BNQ\tCrédit Agricole\t13\t20240110\t512100\tBanque\t\t\tCHQ55\t20240110\tChèque"
        "\t120,00\t0,00\t\t\t20240131\t\t\n"
    )
    path = tmp_path / "FEC.txt"
    path.write_bytes((head + body).encode("iso-8859-15"))
    import_file(engine, "fec", path, terms_days=45)
    assert rows(engine, Invoice, "invoice_id", "customer_id", "amount_cents") == [
        ("FA12", "411DUPONT", 12000)
    ]
    assert kpis(engine, "2024-01-01", "2024-01-31")["collected"] == 120.0


def test_payment_plans_import_one_row_per_instalment(engine, tmp_path):
    import_file(engine, "invoices", write(tmp_path, "i.csv", INVOICES))
    plans = write(
        tmp_path,
        "plans.csv",
        "N° échéancier;Code client;N° facture;N° d'échéance;Date d'échéance;Montant;"
        "Date de l'accord\n"
        "P1;C1;A;1;15/03/2024;40,00;01/03/2024\n"
        "P1;C1;A;2;15/04/2024;60,00;01/03/2024\n",
    )
    report = import_file(engine, "plans", plans)
    assert report.added == 2
    from dashboard.storage.models import Plan

    assert rows(engine, Plan, "plan_id", "instalment", "due_date", "amount_cents") == [
        ("P1", 1, dt.date(2024, 3, 15), 4000),
        ("P1", 2, dt.date(2024, 4, 15), 6000),
    ]
    assert import_file(engine, "plans", plans).unchanged == 2  # keyed by plan and instalment
    bad = write(tmp_path, "bad.csv", "plan_id,customer_id,invoice_id,instalment,due_date,amount\n"
                "P2,C1,NOPE,1,2024-05-01,10\nP2,C1,,x,2024-05-01,10\n")  # fmt: skip
    with pytest.raises(ImportRefused) as err:
        import_file(engine, "plans", bad)
    assert {(p.row, p.message) for p in err.value.report.problems} == {
        (2, "unknown invoice"),
        (3, "not a whole number"),
    }


RATES = "date,currency,rate\n2024-01-01,USD,0.9050\n2024-02-01,USD,0.9200\n2024-01-01,GBP,1.16\n"
USD_LEDGER = (
    "invoice_id,customer_id,issue_date,due_date,amount,currency,paid_date,paid_amount\n"
    "U1,C9,2024-01-15,2024-02-14,1000.00,USD,2024-02-20,\n"
    "U2,C9,2024-02-10,2024-03-11,500.00,USD,2024-03-01,200.00\n"
    "E1,C9,2024-02-10,2024-03-11,300.00,EUR,,\n"
)


def test_other_currencies_convert_at_the_invoice_date_rate(engine, tmp_path):
    ledger = write(tmp_path, "usd.csv", USD_LEDGER)
    with pytest.raises(ImportRefused) as err:  # no rate yet: a problem naming both
        import_file(engine, "ledger", ledger)
    first = err.value.report.problems[0]
    assert (first.row, first.value) == (2, "USD on 2024-01-15")
    assert "no exchange rate for USD" in first.message
    import_file(engine, "rates", write(tmp_path, "rates.csv", RATES))
    import_file(engine, "ledger", ledger)
    got = rows(engine, Invoice, "invoice_id", "amount_cents", "original_currency",
               "original_amount_cents", "fx_rate")  # fmt: skip
    assert got == [
        ("E1", 30000, None, None, None),
        ("U1", 90500, "USD", 100000, 0.905),  # January's rate
        ("U2", 46000, "USD", 50000, 0.92),  # February's: the latest on or before issue
    ]
    # a payment of U2 in its own currency converts at U2's rate: paid in full, nothing open
    import_file(engine, "payments", write(tmp_path, "p.csv",
                "invoice_id,payment_date,amount\nU2,2024-03-10,300.00\n"))  # fmt: skip
    from dashboard.storage.models import Payment

    assert rows(engine, Payment, "invoice_id", "amount_cents", "original_amount_cents") == [
        ("U1", 90500, 100000),
        ("U2", 18400, 20000),
        ("U2", 27600, 30000),
    ]
    k = kpis(engine, "2024-01-01", "2024-03-31")
    assert (k["credit_sales"], k["collected"], k["receivables"]) == (1665.0, 1365.0, 300.0)
    mixed = write(tmp_path, "p2.csv", "invoice_id,payment_date,amount,currency\n"
                  "U2,2024-03-11,10.00,GBP\nE1,2024-03-12,10.00,EUR\n")  # fmt: skip
    with pytest.raises(ImportRefused) as err:
        import_file(engine, "payments", mixed)
    [problem] = err.value.report.problems
    assert (problem.row, problem.value) == (2, "GBP")
    from dashboard.metrics.analytics import customer_detail

    detail = customer_detail(engine, "C9", dt.date(2024, 2, 15))
    items = detail["open_items"].set_index("invoice_id")
    assert items.loc["U2", "original_currency"] == "USD"
    assert items.loc["U2", "original_amount"] == 500.0


def test_a_company_name_column_names_the_customers_an_invoices_file_creates(engine, tmp_path):
    import_file(engine, "customers", write(tmp_path, "c.csv", "customer_id,name\nC1,Known SA\n"))
    path = write(
        tmp_path,
        "f.csv",
        "N° facture;Code client;Raison sociale;Date facture;Échéance;Montant TTC\n"
        "F1;C1;Autre nom;01/02/2024;02/03/2024;10\n"
        "F2;C7;Boulangerie Martin;01/02/2024;02/03/2024;20\n",
    )
    report = import_file(engine, "invoices", path)
    assert report.columns["Raison sociale"] == "name" and report.customers_created == ["C7"]
    assert dict(rows(engine, Customer, "customer_id", "name")) == {
        "C1": "Known SA",  # a known customer is never renamed by an invoices file
        "C7": "Boulangerie Martin",
    }
