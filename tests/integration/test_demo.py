"""Demo data: deterministic, tells its story, and its KPIs agree with an independent oracle."""

from __future__ import annotations

import datetime as dt

import pytest

from dashboard.demo.data import build, load_demo
from dashboard.metrics import Filters, Period, kpis
from dashboard.storage.store import list_batches
from tests.reference import reference_kpis

END = dt.date(2025, 6, 30)
SCALARS = [
    "receivables",
    "current",
    "overdue",
    "credit_sales",
    "collected",
    "dso",
    "best_possible_dso",
    "add",
    "cei",
    "recovery_rate",
    "avg_days_late",
    "collection_cost",
    "cost_to_collect",
    "dispute_rate",
    "payment_failure_rate",
    "csat",
    "nps",
    "ces",
]


@pytest.fixture(scope="module")
def frames():
    return build(seed=3, customers=60, months=12, end=END)


def test_build_is_deterministic_and_varied(frames):
    again = build(seed=3, customers=60, months=12, end=END)
    for kind, frame in frames.items():
        assert frame.equals(again[kind]), kind
    assert frames["customers"]["segment"].nunique() >= 4
    assert set(frames["payments"]["status"]) >= {"completed", "failed"}
    partial = (
        frames["payments"][frames["payments"]["status"] == "completed"].groupby("invoice_id").size()
    )
    assert (partial > 1).any()
    assert set(frames["actions"]["channel"]) >= {"email", "phone", "letter", "formal_notice"}
    assert frames["reasons"]["reason"].nunique() >= 10
    assert set(frames["surveys"]["survey_type"]) == {"csat", "nps", "ces"}
    assert frames["invoices"]["issue_date"].max() <= END


def test_story_billing_shrinks_after_e_invoicing():
    f = build(seed=7, customers=300, months=24, end=END)
    inv, rea = f["invoices"], f["reasons"]
    lost = rea[rea["reason"] == "invoice_not_received"].merge(inv, on="invoice_id")
    cut = dt.date(2024, 11, 1)
    early = (lost["issue_date"] < cut).sum() / (inv["issue_date"] < cut).sum()
    late = (lost["issue_date"] >= cut).sum() / (inv["issue_date"] >= cut).sum()
    assert late < early / 2
    pay = f["payments"]
    rate = pay.assign(bad=pay["status"] != "completed").groupby("method")["bad"].mean()
    assert rate.idxmax() == "card" and rate["card"] > 2 * rate.drop("card").max()


@pytest.mark.parametrize("choice", ["sql", "columnar"])
@pytest.mark.parametrize(
    "start, end, segments, regions",
    [
        (dt.date(2025, 4, 2), END, (), ()),
        (dt.date(2025, 1, 1), dt.date(2025, 3, 31), (), ()),
        (dt.date(2025, 4, 2), END, ("SMB",), ()),
        (dt.date(2024, 11, 15), dt.date(2025, 2, 10), ("Retail", "Key accounts"), ("Ouest",)),
    ],
)
def test_kpis_agree_with_reference(engine, frames, start, end, segments, regions, choice):
    load_demo(engine, seed=3, customers=60, months=12, end=END)
    got = kpis(engine, Period(start, end), Filters(segments, regions), choice)
    want = reference_kpis(frames, start, end, segments, regions)
    for key in SCALARS:
        if want[key] is None:
            assert got[key] is None, key
        else:
            assert got[key] == pytest.approx(want[key], abs=0.006), key
    assert {o["owner"]: (o["invoices"], o["amount"]) for o in got["owners"]} == want["owners"]


def test_demo_is_idempotent(engine):
    load_demo(engine, seed=3, customers=20, months=3, end=END)
    first = kpis(engine, Period(dt.date(2025, 4, 1), END))
    load_demo(engine, seed=3, customers=20, months=3, end=END)
    assert kpis(engine, Period(dt.date(2025, 4, 1), END)) == first
    assert all(b["added"] == 0 for b in list_batches(engine)[:7])
