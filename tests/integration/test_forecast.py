"""The cash forecast's rule on a ledger computed by hand, and its backtest."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from dashboard.cli.main import main
from dashboard.metrics.forecast import (
    backtest,
    forecast,
    usual_delays,
    usual_delays_of,
    weighted_median,
    weighted_medians,
)
from data_loaders.importer import import_file
from tests.conftest import write

T = dt.date(2024, 6, 30)
FILES = dict(
    customers="customer_id,segment\nC1,Retail\nC2,Retail\n",
    invoices="invoice_id,customer_id,issue_date,due_date,amount,disputed\n"
    # C1's history: 10, 20 and 30 days late on 100, 300 and 100: weighted median 20 days
    "S1,C1,2024-01-01,2024-01-31,100,no\nS2,C1,2024-01-30,2024-02-29,300,no\n"
    "S3,C1,2024-03-01,2024-03-31,100,no\n"
    # C2 has one settled invoice (fewer than 3): the segment's median, 30 days
    "S4,C2,2024-03-01,2024-03-31,1000,no\n"
    "O1,C1,2024-06-10,2024-07-10,1000,no\n"  # due 07-10 + 20 days: 07-30, week 4
    "O2,C1,2024-05-02,2024-06-01,400,no\n"  # a promise of 150 for 07-05, the rest late
    "O3,C1,2024-06-01,2024-07-01,600,no\n"  # a plan: 300 on 07-15, 300 on 08-15
    "O4,C2,2024-05-21,2024-06-20,500,yes\n",  # disputed: + 10 days of price disputes + 30
    payments="payment_id,invoice_id,payment_date,amount\n"
    "P1,S1,2024-02-10,100\nP2,S2,2024-03-20,300\nP3,S3,2024-04-30,100\nP4,S4,2024-04-30,1000\n",
    actions="action_id,customer_id,invoice_id,action_date,channel,outcome,promised_date,"
    "promised_amount\na1,C1,O2,2024-06-25,phone,promise_to_pay,2024-07-05,150\n",
    plans="plan_id,customer_id,invoice_id,instalment,due_date,amount,agreed_date\n"
    "PL,C1,O3,1,2024-07-15,300,2024-06-20\nPL,C1,O3,2,2024-08-15,300,2024-06-20\n",
    reasons="invoice_id,reason,recorded_date,resolved_date\n"
    "S4,price_dispute,2024-04-01,2024-04-11\nO4,price_dispute,2024-06-22,\n",
)


@pytest.fixture(autouse=True, params=["sql", "columnar"])
def which(request, monkeypatch):
    """Every case through both ways of reading the usual delays."""
    monkeypatch.setenv("ENCAISSE_ENGINE", request.param)
    return request.param


def load(engine, tmp_path, files=FILES) -> None:
    for kind in ("customers", "invoices", "payments", "actions", "plans", "reasons"):
        if kind in files:
            import_file(engine, kind, write(tmp_path, f"{kind}.csv", files[kind]))


def test_the_weighted_median():
    assert weighted_median([(10, 100), (20, 300), (30, 100)]) == 20
    assert weighted_median([(10, 100), (20, 300), (30, 100), (30, 1000)]) == 30
    assert weighted_median([]) is None


def test_weighted_medians_by_group_are_the_weighted_median_of_each():
    import random

    import numpy as np

    rng = random.Random(7)
    for _ in range(300):
        n = rng.randint(1, 30)
        groups = np.array([rng.randint(-1, 3) for _ in range(n)])
        values = np.array([rng.randint(-10, 40) for _ in range(n)])
        weights = np.array([rng.choice([0, 1, 7, 100, 2500]) for _ in range(n)])
        keys, medians = weighted_medians(groups, values, weights)
        got = dict(zip(keys.tolist(), medians.tolist(), strict=True))
        for g in set(groups.tolist()):
            pairs = [
                (int(v), int(w)) for v, w, k in zip(values, weights, groups, strict=True) if k == g
            ]
            assert got.get(g) == weighted_median(pairs)


def test_usual_delays_from_the_columns_are_those_of_sql(engine):
    from dashboard.demo.data import load_demo
    from dashboard.metrics import columnar

    load_demo(engine, seed=5, customers=80, months=14, end=T)
    cols = columnar.columns_for(engine, "columnar")
    for as_of in (T, dt.date(2024, 1, 15), dt.date(2023, 9, 1)):
        with engine.connect() as conn:
            expected = usual_delays(conn, as_of)
        assert usual_delays_of(cols, as_of) == expected
        assert len(expected) > 3


def test_each_open_invoice_falls_in_the_week_the_rule_says(engine, tmp_path):
    load(engine, tmp_path)
    f = forecast(engine, T, weeks=7)
    assert f["as_of"] == "2024-06-30" and "live promise" in f["rule"]
    assert [w["week_start"] for w in f["weeks"][:2]] == ["2024-07-01", "2024-07-08"]
    # week 0: O2's promised 150 (07-05) and its other 250 (06-01 + 20: already past);
    # week 2: O3's first instalment; week 4: O1 (07-30) and O4 (06-20 + 10 + 30 = 07-30);
    # week 6: O3's second instalment (08-15)
    assert [w["expected"] for w in f["weeks"]] == [400.0, 0.0, 300.0, 0.0, 1500.0, 0.0, 300.0]


def test_a_customer_who_always_pays_two_weeks_late_is_forecast_better_than_naive(engine, tmp_path):
    invoices = ["invoice_id,customer_id,issue_date,due_date,amount"]
    payments = ["payment_id,invoice_id,payment_date,amount"]
    start = dt.date(2023, 1, 2)
    for k in range(75):  # an invoice a week, due in 30 days, paid 14 days after
        issued = start + dt.timedelta(days=7 * k)
        due = issued + dt.timedelta(days=30)
        invoices.append(f"I{k},C1,{issued},{due},100")
        if due + dt.timedelta(days=14) <= T:
            payments.append(f"P{k},I{k},{due + dt.timedelta(days=14)},100")
    load(
        engine,
        tmp_path,
        {"invoices": "\n".join(invoices) + "\n", "payments": "\n".join(payments) + "\n"},
    )
    b = backtest(engine, T, weeks=4)
    assert b["points"] and b["mape"] == pytest.approx(0.0)  # exactly when it pays
    # naive: the two invoices already past due land in week 0 beside that week's own, so
    # 300, 100, 100, 100 against 100 a week came in: 200 of 400 off
    assert b["naive_mape"] == pytest.approx(50.0)


def test_the_forecast_command_prints_spec_json(engine, tmp_path, capsys, db_url):
    load(engine, tmp_path)
    assert main(["forecast", "--db", db_url, "--as-of", "2024-06-30", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) == {"as_of", "weeks", "rule"} and len(out["weeks"]) == 13
    assert set(out["weeks"][0]) == {"week_start", "expected"}
    assert main(["forecast", "--db", db_url, "--as-of", "2024-06-30", "--backtest",
                 "--json"]) == 0  # fmt: skip
    out = json.loads(capsys.readouterr().out)
    assert set(out) == {"mape", "naive_mape", "points"}
    assert main(["forecast", "--db", db_url, "--weeks", "0"]) == 2
