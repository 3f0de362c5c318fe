"""Promises to pay, payment plans and disputes (SPEC.md section 3) on tiny ledgers computed by
hand, through both engines of the metric layer."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from dashboard.metrics import Period, kpis
from dashboard.metrics.engine import metric_engine
from dashboard.metrics.events import oldest_open_disputes, open_disputes
from data_loaders.importer import import_file
from tests.conftest import write

D = dt.date
FEB = Period(D(2024, 2, 1), D(2024, 2, 29))


@pytest.fixture(autouse=True, params=["sql", "columnar"])
def which(request, monkeypatch):
    monkeypatch.setenv("ENCAISSE_ENGINE", request.param)
    return request.param


def load(engine, tmp_path, **files: str) -> None:
    for kind in ("invoices", "payments", "actions", "plans", "reasons"):
        if kind in files:
            import_file(engine, kind, write(tmp_path, f"{kind}.csv", files[kind]))


PROMISES = dict(
    invoices="invoice_id,customer_id,issue_date,due_date,amount\n"
    "A,C1,2024-01-01,2024-01-31,1000\nB,C1,2024-01-01,2024-01-31,600\n"
    "C,C2,2024-01-01,2024-01-31,300\n",
    payments="payment_id,invoice_id,payment_date,amount\n"
    "P1,A,2024-02-05,250\nP2,A,2024-02-12,200\nP3,B,2024-02-20,300\nP4,C,2024-02-22,150\n",
    actions="action_id,customer_id,invoice_id,action_date,channel,outcome,promised_date,"
    "promised_amount\n"
    # window 02-01…02-13: 250 + 200 = 450 ≥ 400: kept
    "a1,C1,A,2024-02-01,phone,promise_to_pay,2024-02-10,400\n"
    # window 02-05…02-18: nothing (300 comes on 02-20): broken, 600
    "a2,C1,B,2024-02-05,phone,promise_to_pay,2024-02-15,600\n"
    # no invoice: the customer's payments, 02-10…02-23: 150 ≥ 100: kept
    "a3,C2,,2024-02-10,email,promise_to_pay,2024-02-20,100\n"
    # date + 3 days in March: not yet due in February
    "a4,C1,A,2024-02-25,phone,promise_to_pay,2024-03-05,100\n"
    # no amount: kept only if C is paid in full by 02-28; 150 of 300: broken, its 300 open
    "a6,C2,C,2024-02-01,letter,promise_to_pay,2024-02-25,\n"
    # not a promise
    "a7,C1,A,2024-02-02,email,no_answer,,\n",
)


def test_promises_kept_and_broken(engine, tmp_path):
    load(engine, tmp_path, **PROMISES)
    k = kpis(engine, FEB)
    assert k["promise_kept_rate"] == pytest.approx(50.0)  # a1 and a3 of a1, a2, a3, a6
    with metric_engine(engine) as eng:
        p = eng.measures(FEB).promises
    assert (p.due, p.kept, p.broken, p.broken_cents) == (4, 2, 2, 90_000)  # 600 + 300
    # a promise only counts in the period its date + 3 days falls in
    march = kpis(engine, Period(D(2024, 3, 1), D(2024, 3, 31)))
    assert march["promise_kept_rate"] == 0.0  # a4: nothing paid on A after 02-25


PLANS = dict(
    invoices="invoice_id,customer_id,issue_date,due_date,amount\n"
    "D,C3,2024-01-01,2024-01-15,900\nE,C4,2024-01-01,2024-01-15,500\n",
    payments="payment_id,invoice_id,payment_date,amount\n"
    "P1,D,2024-01-20,100\nP2,D,2024-02-09,300\nP3,D,2024-02-19,250\nP4,E,2024-02-14,200\n",
    plans="plan_id,customer_id,invoice_id,instalment,due_date,amount,agreed_date\n"
    # the 100 of 01-20 came before the agreement: it does not count
    "PL1,C3,D,1,2024-02-05,300,2024-02-01\n"  # by 02-10: 300 ≥ 300, kept
    "PL1,C3,D,2,2024-02-15,300,2024-02-01\n"  # by 02-20: 550 < 600, late
    "PL1,C3,D,3,2024-02-26,300,2024-02-01\n"  # by 03-02: not due in February
    "PL2,C4,,1,2024-02-10,200,\n",  # no invoice: the customer's payments, 200 by 02-15: kept
)


def test_plan_instalments_kept_and_late(engine, tmp_path):
    load(engine, tmp_path, **PLANS)
    k = kpis(engine, FEB)
    assert k["plan_kept_rate"] == pytest.approx(200 / 3)
    with metric_engine(engine) as eng:
        plans = eng.measures(FEB).plans
    assert (plans.due, plans.kept, plans.late) == (3, 2, 1)
    # March: instalment 3, by 03-02: 550 paid since the agreement < 900
    assert kpis(engine, Period(D(2024, 3, 1), D(2024, 3, 31)))["plan_kept_rate"] == 0.0


DISPUTES = dict(
    invoices="invoice_id,customer_id,issue_date,due_date,amount\n"
    "F,C5,2024-01-05,2024-02-04,1000\nG,C5,2024-01-05,2024-02-04,400\n"
    "H,C5,2024-01-05,2024-02-04,200\n",
    payments="payment_id,invoice_id,payment_date,amount\nP1,F,2024-02-10,300\n",
    reasons="invoice_id,reason,owner,recorded_date,resolved_date\n"
    "F,price_dispute,,2024-01-10,\n"  # open: F's 700 still owed
    "F,forgotten,,2024-01-15,2024-02-15\n"  # resolved in February: 31 days
    "G,quality_dispute,,2024-02-01,2024-02-11\n"  # resolved in February: 10 days
    "H,invoice_error,,2024-01-20,2024-03-10\n",  # resolved after T: open at T, 200
)


def test_disputes_open_and_resolution_days(engine, tmp_path):
    load(engine, tmp_path, **DISPUTES)
    k = kpis(engine, FEB)
    assert k["disputes_open"] == {"invoices": 2, "amount": 900.0}  # F (700) and H (200)
    assert k["dispute_resolution_days"] == pytest.approx(20.5)  # median of 31 and 10
    detailed = dispute_details_of(engine)
    with metric_engine(engine) as eng:
        measures = eng.measures(FEB)
        by_owner = measures.dispute_owners
        totals = measures.disputes
    # the totals the KPIs read (in the database) are those of the detailed pass
    assert (totals.open_invoices, totals.open_cents, totals.resolution_days) == (
        detailed.open_invoices,
        detailed.open_cents,
        detailed.resolution_days,
    )
    assert by_owner["Sales"] == {
        "open_invoices": 1,
        "open_cents": 70_000,
        "oldest_days": 50,  # F's price dispute, recorded 01-10
        "resolution_days": 10.0,
    }
    assert by_owner["Billing (ADV)"]["open_cents"] == 20_000
    assert by_owner["Customer"] == {
        "open_invoices": 0,
        "open_cents": 0,
        "oldest_days": None,
        "resolution_days": 31.0,
    }
    # as of 01-31, nothing resolved yet in January and F, H open with nothing paid
    with engine.connect() as conn:
        listed = open_disputes(conn, D(2024, 2, 29))
    assert [(r["invoice_id"], r["reason"], r["days_open"], r["open_eur"]) for r in listed] == [
        ("F", "price_dispute", 50, 700.0),
        ("H", "invoice_error", 40, 200.0),
    ]
    with engine.connect() as conn:  # the page's list: the oldest, of one owner, and a count
        assert oldest_open_disputes(conn, D(2024, 2, 29), 1) == (listed[:1], 2)
        assert open_disputes(conn, D(2024, 2, 29), owner="Billing (ADV)") == listed[1:]
        assert oldest_open_disputes(conn, D(2024, 2, 29), 5, owner="Sales") == (listed[:1], 1)
    jan = kpis(engine, Period(D(2024, 1, 1), D(2024, 1, 31)))
    assert jan["disputes_open"] == {"invoices": 2, "amount": 1200.0}  # G recorded in February
    assert jan["dispute_resolution_days"] is None


def test_resolution_days_per_owner_month_by_month(engine, tmp_path):
    from dashboard.metrics.analytics import dispute_scorecard, resolution_trend

    files = dict(DISPUTES)
    files["invoices"] += "I,C5,2024-02-20,2024-03-20,50\n"
    files["reasons"] += "I,invoice_error,,2024-03-01,2024-03-05\n"  # 4 days
    load(engine, tmp_path, **files)
    trend = resolution_trend(engine, D(2024, 3, 31), 12, _no_filter())
    assert [tuple(r) for r in trend.itertuples(index=False)] == [
        ("Billing (ADV)", D(2024, 3, 1), 2, 27.0),  # H (50 days) and I (4 days)
        ("Customer", D(2024, 2, 1), 1, 31.0),  # F's forgotten invoice
        ("Sales", D(2024, 2, 1), 1, 10.0),  # G's quality dispute
    ]
    # each point is the scorecard's figure for that month as the period
    for month, end in ((D(2024, 2, 1), D(2024, 2, 29)), (D(2024, 3, 1), D(2024, 3, 31))):
        card = dispute_scorecard(engine, Period(month, end), _no_filter()).set_index("owner")
        for r in trend[trend["month"] == month].itertuples():
            assert card.loc[r.owner, "resolution_days"] == r.resolution_days
    # before March, Billing resolved nothing: no point, not a zero
    short = resolution_trend(engine, D(2024, 2, 29), 12, _no_filter())
    assert "Billing (ADV)" not in set(short["owner"])


def test_no_promise_plan_or_dispute_is_null_not_zero(engine, tmp_path):
    load(engine, tmp_path, invoices=PLANS["invoices"])
    k = kpis(engine, FEB)
    assert k["promise_kept_rate"] is None and k["plan_kept_rate"] is None
    assert k["disputes_open"] == {"invoices": 0, "amount": 0.0}
    assert k["dispute_resolution_days"] is None


def test_a_customers_promises_and_instalments_each_say_where_they_stand(engine, tmp_path):
    from dashboard.metrics.analytics import customer_detail

    load(engine, tmp_path, **PROMISES)
    promises = customer_detail(engine, "C1", D(2024, 2, 29))["promises"]
    # newest first; a4 is due on 03-08, after T: not yet judged
    assert list(promises["promise_status"]) == ["live", "broken", "kept"]
    assert list(promises["promised_eur"]) == [100.0, 600.0, 400.0]
    load(
        engine,
        tmp_path,
        **{k: v for k, v in PLANS.items() if k != "invoices"},
        invoices=PLANS["invoices"],
    )
    plans = customer_detail(engine, "C3", D(2024, 2, 29))["plans"]
    assert list(plans["instalment_status"]) == ["kept", "late", "upcoming"]
    assert list(plans["amount_eur"]) == [300.0, 300.0, 300.0]


def test_promises_by_segment(engine, tmp_path):
    from dashboard.metrics.analytics import promises_by

    load(engine, tmp_path, **PROMISES)
    table = promises_by(engine, FEB, _no_filter(), "segment")
    assert table.to_dict("records") == [
        {
            "segment": "Unassigned",  # customers the files created, unclassified
            "promises": 4,
            "kept": 2,
            "broken": 2,
            "broken_eur": 900.0,
            "promise_kept_rate": 50.0,
        }
    ]


def dispute_details_of(engine):
    from dashboard.metrics.events import dispute_details

    with engine.connect() as conn:
        return dispute_details(conn, FEB)


def _no_filter():
    from dashboard.metrics import Filters

    return Filters()


def test_three_ways_to_pay_side_by_side(engine, tmp_path):
    from dashboard.metrics.analytics import ways_to_pay

    load(
        engine,
        tmp_path,
        invoices="invoice_id,customer_id,issue_date,due_date,amount\n"
        "X1,C1,2024-01-10,2024-02-10,100\nX2,C1,2024-01-10,2024-02-10,200\n"
        "X3,C1,2024-01-01,2024-02-01,300\n",
        payments="payment_id,invoice_id,payment_date,amount,method\n"
        "P1,X1,2024-02-05,100,transfer\nP2,X2,2024-02-15,200,direct_debit\n"
        "P3,X3,2024-02-05,100,transfer\nP4,X3,2024-02-11,200,transfer\n",
    )
    table = ways_to_pay(engine, FEB, _no_filter()).set_index("way")
    assert table.loc["at_once"].tolist() == [1, 100.0, -5.0, 100.0]  # 5 days early
    assert table.loc["scheduled"].tolist() == [1, 200.0, 5.0, 0.0]  # the direct debit
    assert table.loc["instalments"].tolist() == [1, 300.0, 10.0, 0.0]  # two payments


def test_reminder_timing_by_weekday_with_its_counts(engine, tmp_path):
    from dashboard.metrics.analytics import reminder_timing

    actions = ["action_id,customer_id,invoice_id,action_date,channel,outcome"]
    payments = ["payment_id,invoice_id,payment_date,amount"]
    invoices = ["invoice_id,customer_id,issue_date,due_date,amount"]
    for k in range(25):  # 25 Monday e-mails (2024-01-01 is a Monday), each paid 3 days later
        day = dt.date(2024, 1, 1) + dt.timedelta(days=7 * k)
        invoices.append(f"M{k},C1,2023-12-01,2023-12-31,100")
        actions.append(f"a{k},C1,M{k},{day},email,no_answer")
        payments.append(f"p{k},M{k},{day + dt.timedelta(days=3)},100")
    for k in range(5):  # 5 Friday letters, never followed
        day = dt.date(2024, 1, 5) + dt.timedelta(days=7 * k)
        invoices.append(f"F{k},C1,2023-12-01,2023-12-31,100")
        actions.append(f"b{k},C1,F{k},{day},letter,no_answer")
    load(
        engine,
        tmp_path,
        invoices="\n".join(invoices) + "\n",
        payments="\n".join(payments) + "\n",
        actions="\n".join(actions) + "\n",
    )
    table = reminder_timing(engine, Period(D(2024, 1, 1), D(2024, 6, 30)), _no_filter())
    rows = {(r["channel"], r["weekday"]): r for r in table.to_dict("records")}
    monday = rows[("email", 0)]
    assert (monday["reminders"], monday["followed"], monday["cash_eur"]) == (25, 25, 2500.0)
    assert monday["paid_within_14d_pct"] == 100.0
    friday = rows[("letter", 4)]
    assert (friday["reminders"], friday["followed"]) == (5, 0)
    assert pd.isna(friday["paid_within_14d_pct"])  # fewer than 20: not enough to say


def test_reminder_timing_by_hour_when_the_files_give_a_time(engine, tmp_path):
    from dashboard.metrics.analytics import reminder_timing, reminder_timings

    invoices = ["invoice_id,customer_id,issue_date,due_date,amount"]
    payments = ["payment_id,invoice_id,payment_date,amount"]
    morning = ["action_id,customer_id,invoice_id,action_date,channel"]  # date and time
    afternoon = ["n° relance;n° client;n° facture;date de relance;heure;canal"]  # own column
    for k in range(20):  # Mondays: at 9 in the morning, each paid 2 days later
        day = dt.date(2024, 1, 1) + dt.timedelta(days=7 * k)
        invoices += [f"M{k},C1,2023-12-01,2023-12-31,100", f"A{k},C1,2023-12-01,2023-12-31,50"]
        morning.append(f"m{k},C1,M{k},{day} 09:{10 + k},email")
        payments.append(f"p{k},M{k},{day + dt.timedelta(days=2)},100")
        # and at 16h30 (written the French way), never followed
        afternoon.append(f"n{k};C1;A{k};{day:%d/%m/%Y};16h30;email")
    for k in range(3):  # a date alone (midnight is a date, not a time): by weekday only
        invoices.append(f"X{k},C1,2023-12-01,2023-12-31,10")
        morning.append(f"x{k},C1,X{k},2024-01-0{k + 1} 00:00:00,email")
    load(engine, tmp_path, invoices="\n".join(invoices) + "\n", payments="\n".join(payments))
    load(engine, tmp_path, actions="\n".join(morning) + "\n")
    import_file(engine, "actions", write(tmp_path, "heures.csv", "\n".join(afternoon) + "\n"))
    h1 = Period(D(2024, 1, 1), D(2024, 6, 30))
    hours = reminder_timing(engine, h1, _no_filter(), by=("weekday", "hour"))
    rows = {tuple(r[:3]): r[3:] for r in hours.itertuples(index=False)}
    assert rows == {
        ("email", 0, 9): (20, 20, 100.0, 2000.0),
        ("email", 0, 16): (20, 0, 0.0, 0.0),
    }
    by_hour = reminder_timing(engine, h1, _no_filter(), by=("hour",))
    assert by_hour[["hour", "reminders", "followed"]].values.tolist() == [[9, 20, 20], [16, 20, 0]]
    weekdays = reminder_timing(engine, h1, _no_filter()).set_index(["channel", "weekday"])
    assert weekdays.loc[("email", 0), "reminders"] == 41  # with x0 (a Monday) and no time
    assert weekdays.loc[("email", 1), "reminders"] == 1  # x1, a Tuesday
    assert weekdays.loc[("email", 0), "cash_eur"] == 2000.0
    # the page's three views, read and matched once, are the three tables one by one
    views = (("weekday",), ("weekday", "hour"), ("hour",))
    together = reminder_timings(engine, h1, _no_filter(), views)
    for by, table in zip(views, together, strict=True):
        assert table.equals(reminder_timing(engine, h1, _no_filter(), by)), by


def test_a_written_off_invoice_leaves_nothing_at_stake_in_its_dispute(engine, tmp_path):
    ledger = (
        "invoice_id,customer_id,issue_date,due_date,amount,paid_date,paid_amount,status\n"
        "A,C1,2024-01-10,2024-02-09,1000,2024-02-20,,written off\n"
        "C,C1,2024-02-01,2024-02-10,300,2024-02-12,100,Passée en perte\n"
    )
    import_file(engine, "ledger", write(tmp_path, "l.csv", ledger))
    load(
        engine,
        tmp_path,
        reasons="invoice_id,reason,recorded_date\nA,price_dispute,2024-02-01\n"
        "C,quality_dispute,2024-02-05\n",
    )
    # at 02-15: A still owes its 1,000 (written off on 02-20); C paid 100, the rest written off
    mid = kpis(engine, Period(D(2024, 2, 1), D(2024, 2, 15)))
    assert mid["disputes_open"] == {"invoices": 2, "amount": 1000.0}
    # at the month's end both are still disputed, with nothing left to collect
    assert kpis(engine, FEB)["disputes_open"] == {"invoices": 2, "amount": 0.0}


def test_promises_falling_due_are_found_by_their_date(engine, which):
    """The Overview and the Segments page ask for the promises falling due in their windows at
    every filter (once per collector): SQLite, which keeps no statistics here, reads them
    through the promised-date index (migration 0007), not every action or every action of the
    filter's customers (0.05–0.13 s per query at a million invoices)."""
    if engine.dialect.name != "sqlite":
        pytest.skip("the plan is SQLite's (PostgreSQL's planner has its statistics)")
    if which != "sql":
        pytest.skip("the query is the same for both engines: checked once")
    from dashboard.metrics import Filters
    from dashboard.metrics.events import promises_due
    from dashboard.metrics.tables import selected_customers

    for filters in (Filters(), Filters(("SMB",)), Filters(collectors=("Ann",))):
        q = promises_due(D(2024, 1, 1), D(2024, 12, 31), selected_customers(filters))
        sql = str(q.compile(dialect=engine.dialect, compile_kwargs={"literal_binds": True}))
        with engine.connect() as conn:
            plan = " ".join(str(r) for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql))
        assert "USING INDEX ix_actions_promised_date" in plan, (filters, plan)
