"""Metric layer on tiny hand-computed ledgers, loaded through the importers."""

from __future__ import annotations

import datetime as dt

import pytest

from dashboard.metrics import Filters, Period, kpis
from data_loaders.importer import import_file
from tests.conftest import write

D = dt.date


@pytest.fixture(autouse=True, params=["sql", "columnar"])
def metric_engine(request, monkeypatch):
    """Every hand-computed case, through both engines of the metric layer."""
    monkeypatch.setenv("ENCAISSE_ENGINE", request.param)
    return request.param


def load(engine, tmp_path, **files: str) -> None:
    order = ["customers", "invoices", "payments", "actions", "reasons", "surveys", "costs"]
    for kind in order:
        if kind in files:
            import_file(engine, kind, write(tmp_path, f"{kind}.csv", files[kind]))


WORKED = dict(
    invoices="invoice_id,customer_id,issue_date,due_date,amount\n"
    "A,C1,2024-01-10,2024-02-09,1000\nB,C1,2024-02-15,2024-03-16,500\n",
    payments="payment_id,invoice_id,payment_date,amount\nP1,A,2024-02-20,1000\n",
)
FEB = Period(D(2024, 2, 1), D(2024, 2, 29))


def test_spec_worked_example(engine, tmp_path):
    load(engine, tmp_path, **WORKED)
    k = kpis(engine, FEB)
    assert (k["receivables"], k["current"], k["overdue"], k["credit_sales"]) == (500, 500, 0, 500)
    assert k["dso"] == pytest.approx(29.0)
    assert k["best_possible_dso"] == pytest.approx(29.0)
    assert k["add"] == pytest.approx(0.0)
    assert k["cei"] == pytest.approx(100.0)
    assert k["recovery_rate"] == pytest.approx(100.0)
    assert k["avg_days_late"] == pytest.approx(11.0)
    assert k["dso_countback"] == pytest.approx(29.0)
    assert k["collected"] == 1000


def test_payment_after_as_of_date_never_counts(engine, tmp_path):
    load(engine, tmp_path, **WORKED)
    # As of 2024-02-15, A's payment (02-20) has not happened yet: A is open and 6 days overdue.
    k = kpis(engine, Period(D(2024, 2, 1), D(2024, 2, 15)))
    assert k["receivables"] == 1500
    assert k["overdue"] == 1000
    assert k["aging"]["d1_30"] == 1000
    assert k["collected"] == 0
    assert k["recovery_rate"] == 0  # A owed 1000, nothing got by T
    assert k["avg_days_late"] is None


PARTIAL = dict(
    invoices="invoice_id,customer_id,issue_date,due_date,amount\n"
    "A,C1,2024-01-01,2024-01-31,1000.00\n",
    payments="payment_id,invoice_id,payment_date,amount,status\n"
    "P0,A,2024-01-20,400,failed\n"
    "P1,A,2024-01-25,300.10,completed\n"
    "P2,A,2024-02-10,400,input_error\n"
    "P3,A,2024-02-15,699.90,completed\n",
)


def test_partial_and_failed_payments(engine, tmp_path):
    load(engine, tmp_path, **PARTIAL)
    k = kpis(engine, FEB)
    # owed at F-1 = 1000 - 300.10 = 699.90, all got in February
    assert k["recovery_rate"] == pytest.approx(100.0)
    assert k["collected"] == pytest.approx(699.90)
    assert k["receivables"] == 0
    assert k["avg_days_late"] == pytest.approx(15.0)  # settled 02-15, due 01-31
    assert k["payment_failure_rate"] == pytest.approx(50.0)  # P2 failed of P2, P3 in Feb
    jan = kpis(engine, Period(D(2024, 1, 1), D(2024, 1, 31)))
    assert jan["receivables"] == pytest.approx(699.90)
    assert jan["current"] == pytest.approx(699.90)  # due 01-31 >= T
    assert jan["payment_failure_rate"] == pytest.approx(50.0)  # P0 failed, P1 ok
    assert jan["recovery_rate"] == pytest.approx(100 * 300.10 / 1000)


def test_partial_recovery_and_aging_buckets(engine, tmp_path):
    load(
        engine,
        tmp_path,
        invoices=(
            "invoice_id,customer_id,issue_date,due_date,amount\n"
            "A,C1,2023-10-01,2023-10-31,100\n"  # 91 days past due at 2024-01-30 -> d90_plus
            "B,C1,2023-10-02,2023-11-01,200\n"  # 90 days -> d61_90
            "C,C1,2023-11-01,2023-12-31,300\n"  # 30 days -> d1_30
            "D,C1,2023-12-01,2023-12-30,400\n"  # 31 days -> d31_60
            "E,C1,2024-01-01,2024-01-30,500\n"
        ),  # 0 days -> current
        payments="payment_id,invoice_id,payment_date,amount\nP,A,2024-01-15,40\n",
    )
    k = kpis(engine, Period(D(2024, 1, 1), D(2024, 1, 30)))
    assert k["aging"] == {
        "current": 500,
        "d1_30": 300,
        "d31_60": 400,
        "d61_90": 200,
        "d90_plus": 60,
    }
    assert k["receivables"] == 1460
    # owed at F-1: A 100, B 200, D 400, E 500 (C is due 12-31 <= T too: 300); got: 40 of A
    assert k["recovery_rate"] == pytest.approx(100 * 40 / 1500)


def test_zero_denominators_are_null(engine, tmp_path):
    load(engine, tmp_path, **WORKED)
    k = kpis(engine, Period(D(2030, 1, 1), D(2030, 1, 31)))
    assert k["dso"] is None and k["best_possible_dso"] is None and k["add"] is None
    assert k["dispute_rate"] is None and k["payment_failure_rate"] is None
    assert k["cost_to_collect"] is None
    assert k["csat"] is None and k["nps"] is None and k["ces"] is None
    assert k["overdue_pct"] is None or k["overdue_pct"] >= 0
    empty = kpis(engine, Period(D(2010, 1, 1), D(2010, 1, 31)))
    assert empty["overdue_pct"] is None and empty["cei"] is None
    assert empty["recovery_rate"] is None and empty["dso_countback"] == 0


def test_costs_are_unknown_not_zero_without_cost_data(engine, tmp_path):
    """SPEC 3: collection_cost and cost_to_collect are null when the store holds no cost data
    at all (no cost line, no action costing more than zero); 0 said collection was free."""
    load(
        engine,
        tmp_path,
        **WORKED,
        actions="customer_id,action_date,channel,cost\nC1,2024-02-05,email,0\n",
    )
    k = kpis(engine, FEB)
    assert k["collection_cost"] is None and k["cost_to_collect"] is None
    assert k["collected"] == 1000  # the rest is known
    # one action with a cost, in another month: costs are known now, and 0 in February
    load(engine, tmp_path, actions="customer_id,action_date,channel,cost\nC1,2024-05-02,call,4\n")
    k = kpis(engine, FEB)
    assert k["collection_cost"] == 0 and k["cost_to_collect"] == 0
    assert kpis(engine, FEB, Filters(segments=("nobody",)))["collection_cost"] == 0


def test_a_fully_settled_ledger_opens_on_its_last_day_with_open_items(engine, tmp_path):
    from dashboard.metrics import data_end_date, last_open_date

    load(engine, tmp_path, **WORKED)
    assert last_open_date(engine, D(2024, 2, 29)) is None  # B is open at the end
    # B paid in two parts, in full on 2024-03-10; C paid the day it was issued (never open)
    load(
        engine,
        tmp_path,
        invoices="invoice_id,customer_id,issue_date,due_date,amount\n"
        "C,C1,2024-03-05,2024-04-04,80\n",
        payments="payment_id,invoice_id,payment_date,amount\n"
        "P2,B,2024-03-01,200\nP3,B,2024-03-10,300\nP4,C,2024-03-05,80\n",
    )
    end = data_end_date(engine)
    assert end == D(2024, 3, 10)
    assert last_open_date(engine, end) == D(2024, 3, 9)
    k = kpis(engine, Period(D(2024, 2, 10), D(2024, 3, 9)))
    assert k["receivables"] == 300  # what the dashboard opens on: something to say
    assert kpis(engine, Period(D(2024, 2, 11), end))["receivables"] == 0


def test_countback_walks_back_months(engine, tmp_path):
    load(
        engine,
        tmp_path,
        invoices=(
            "invoice_id,customer_id,issue_date,due_date,amount\n"
            "J,C1,2024-01-15,2024-03-15,300\n"
            "F,C1,2024-02-10,2024-04-10,200\n"
            "M,C1,2024-03-05,2024-05-05,100\n"
        ),
    )
    k = kpis(engine, Period(D(2024, 1, 1), D(2024, 3, 10)))
    # R = 600; March (10 days) sales 100 -> 10 days, R 500; February 29 days sales 200 ->
    # R 300; January 31 days, sales 300, R not > S -> 31 * 300/300
    assert k["dso_countback"] == pytest.approx(10 + 29 + 31)


SEGMENTED = dict(
    customers="customer_id,name,segment,region,collector\n"
    "C1,Alpha,Retail,Nord,Ann\nC2,Beta,Public sector,Sud,Bob\n",
    invoices="invoice_id,customer_id,issue_date,due_date,amount,disputed\n"
    "A,C1,2024-02-01,2024-02-10,100,yes\nB,C2,2024-02-01,2024-03-02,300,no\n",
    payments="payment_id,invoice_id,payment_date,amount\nP,A,2024-02-20,100\n",
    actions="action_id,customer_id,invoice_id,action_date,channel,cost\n"
    "X1,C1,A,2024-02-13,phone,6.50\nX2,C2,B,2024-02-25,email,0.50\n",
    reasons='invoice_id,reason,owner\nA,"Litige qualité, client insatisfait",\n'
    "A,forgotten,\nB,invoice_not_received,Logistique\n",
    surveys="response_id,customer_id,response_date,survey_type,score\n"
    "R1,C1,2024-02-05,csat,5\nR2,C1,2024-02-06,csat,2\nR3,C2,2024-02-07,nps,10\n"
    "R4,C2,2024-02-08,nps,3\nR5,C2,2024-02-09,nps,8\nR6,C1,2024-02-10,ces,2\n"
    "R7,C2,2024-02-11,ces,5\n",
    costs="month,category,amount,segment\n2024-02,staff,290,\n2024-01,tools,310,Retail\n"
    "2024-02,legal,58,Retail\n",
)


def test_filters_restrict_every_figure(engine, tmp_path):
    load(engine, tmp_path, **SEGMENTED)
    every = kpis(engine, FEB)
    assert every["credit_sales"] == 400 and every["dispute_rate"] == pytest.approx(50)
    assert every["csat"] == pytest.approx(50) and every["ces"] == pytest.approx(3.5)
    assert every["nps"] == pytest.approx(100 * (1 - 1) / 3)
    assert every["collection_cost"] == pytest.approx(7 + 290 + 58)
    retail = kpis(engine, FEB, Filters(segments=("Retail",)))
    assert retail["credit_sales"] == 100 and retail["dispute_rate"] == 100
    assert retail["receivables"] == 0 and retail["collected"] == 100
    assert retail["survey_responses"] == {"csat": 2, "nps": 0, "ces": 1}
    # SPEC 3, shared costs: C1's own action (6.50); half the untagged 290 (one of the two
    # actions of February); all of the Retail-tagged 58 (C1 is the whole Retail pool);
    # January's line falls outside P
    assert retail["collection_cost"] == pytest.approx(6.5 + 145 + 58)
    assert retail["cost_to_collect"] == pytest.approx(100 * 209.5 / 100)
    public = kpis(engine, FEB, Filters(segments=("Public sector",)))
    assert public["collection_cost"] == pytest.approx(0.5 + 145)  # no share of Retail's
    # the segments add up to the company; a region takes its customers' shares, not all
    assert retail["collection_cost"] + public["collection_cost"] == every["collection_cost"]
    assert kpis(engine, FEB, Filters(regions=("Sud",)))["collection_cost"] == pytest.approx(145.5)
    south = kpis(engine, FEB, Filters(regions=("Sud",)))
    assert south["credit_sales"] == 300 and south["csat"] is None
    assert south["nps"] == pytest.approx(0.0)  # one promoter, one detractor, one passive
    bob = kpis(engine, FEB, Filters(collectors=("Bob",)))
    assert bob["credit_sales"] == 300
    both = kpis(engine, FEB, Filters(segments=("Retail",), regions=("Sud",)))
    assert both["credit_sales"] == 0 and both["dso"] is None


def test_the_segments_page_shows_how_costs_were_shared(engine, tmp_path):
    from dashboard.metrics import analytics

    load(engine, tmp_path, **SEGMENTED)
    table = analytics.cost_allocation(engine, FEB, Filters()).set_index("segment")
    assert table.loc["Retail"].tolist() == [6.5, 203.0, 209.5]
    assert table.loc["Public sector"].tolist() == [0.5, 145.0, 145.5]
    assert table.loc["not in a segment, or unallocated"].tolist() == [0.0, 0.0, 0.0]
    assert table.loc["total"].tolist() == [7.0, 348.0, 355.0]


def test_shared_costs_fall_back_on_payments_then_stay_unallocated(engine, tmp_path):
    """A month without actions shares its lines by completed payments; a month with neither
    leaves them unallocated: only the unfiltered figure holds them."""
    load(
        engine,
        tmp_path,
        **{k: v for k, v in SEGMENTED.items() if k != "costs"},
        costs="month,category,amount\n2024-03,staff,100\n2024-04,staff,50\n",
    )
    load(
        engine, tmp_path, payments="payment_id,invoice_id,payment_date,amount\nQ,B,2024-03-05,300\n"
    )
    march, april = Period(D(2024, 3, 1), D(2024, 3, 31)), Period(D(2024, 4, 1), D(2024, 4, 30))
    retail, public = Filters(segments=("Retail",)), Filters(segments=("Public sector",))
    assert kpis(engine, march)["collection_cost"] == pytest.approx(100)
    assert kpis(engine, march, public)["collection_cost"] == pytest.approx(100)  # paid 300
    assert kpis(engine, march, retail)["collection_cost"] == 0  # paid nothing in March
    assert kpis(engine, april)["collection_cost"] == pytest.approx(50)
    assert kpis(engine, april, retail)["collection_cost"] == 0
    assert kpis(engine, april, public)["collection_cost"] == 0


def test_late_reasons_and_owners(engine, tmp_path):
    load(engine, tmp_path, **SEGMENTED)
    k = kpis(engine, Period(D(2024, 2, 1), D(2024, 3, 31)))
    assert k["late_reasons"] == [
        {"reason": "invoice_not_received", "owner": "Logistics", "invoices": 1, "amount": 300},
        {"reason": "forgotten", "owner": "Customer", "invoices": 1, "amount": 100},
        {"reason": "quality_dispute", "owner": "Sales", "invoices": 1, "amount": 100},
    ]
    assert k["owners"] == [
        {"owner": "Logistics", "invoices": 1, "amount": 300},
        {"owner": "Customer", "invoices": 1, "amount": 100},
        {"owner": "Sales", "invoices": 1, "amount": 100},
    ]
    # due_date of B (03-02) is outside February: only A's reasons count
    feb = kpis(engine, FEB)
    assert {r["reason"] for r in feb["late_reasons"]} == {"forgotten", "quality_dispute"}


def test_cost_lines_prorated_by_days(engine, tmp_path):
    load(
        engine,
        tmp_path,
        invoices="invoice_id,customer_id,issue_date,due_date,amount\n"
        "A,C1,2024-01-01,2024-01-31,100\n",
        costs="month,category,amount\n2024-01,staff,310\n2024-02,staff,290\n",
    )
    k = kpis(engine, Period(D(2024, 1, 22), D(2024, 2, 10)))
    assert k["collection_cost"] == pytest.approx(310 * 10 / 31 + 290 * 10 / 29)


def test_early_payment_counts_negative(engine, tmp_path):
    load(
        engine,
        tmp_path,
        invoices="invoice_id,customer_id,issue_date,due_date,amount\n"
        "A,C1,2024-01-01,2024-02-15,100\nB,C1,2024-01-01,2024-02-01,300\n",
        payments="payment_id,invoice_id,payment_date,amount\n"
        "P1,A,2024-02-05,100\nP2,B,2024-02-11,150\nP3,B,2024-02-11,149.99\n",
    )
    k = kpis(engine, FEB)
    # A: 10 days early; B: two same-day payments reach 299.99, within 0.01 of 300: 10 days late
    assert k["avg_days_late"] == pytest.approx((100 * -10 + 300 * 10) / 400)


def test_settlement_date_is_when_the_cumulative_first_reaches_the_amount(engine, tmp_path):
    load(
        engine,
        tmp_path,
        invoices="invoice_id,customer_id,issue_date,due_date,amount\n"
        "A,C1,2024-01-01,2024-01-31,1000\nB,C1,2024-01-10,2024-02-10,500\n"
        "C,C1,2024-01-05,2024-02-05,200\n",
        payments="payment_id,invoice_id,payment_date,amount\n"
        "P1,A,2024-01-20,1000\nP2,A,2024-02-12,50\n"  # settled in January
        "P3,B,2024-02-05,200\nP4,B,2024-02-20,299.99\n"  # within 0.01 on 02-20
        "P5,C,2024-01-15,100\nP6,C,2024-02-08,100\n",
    )  # half before, rest in Feb
    # February: B 10 days late on 500, C 3 days late on 200; A was settled before F
    assert kpis(engine, FEB)["avg_days_late"] == pytest.approx((500 * 10 + 200 * 3) / 700)
    assert kpis(engine, Period(D(2024, 1, 1), D(2024, 1, 31)))["avg_days_late"] == pytest.approx(
        -11.0
    )
    whole = kpis(engine, Period(D(2024, 1, 1), D(2024, 2, 29)))
    assert whole["avg_days_late"] == pytest.approx((1000 * -11 + 500 * 10 + 200 * 3) / 1700)
