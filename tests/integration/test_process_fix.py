"""Circuit 3: a process fix against a cause, and the cause's share of late euros before and
after it, over the same length of time on each side."""

from __future__ import annotations

import datetime as dt

import pytest

from dashboard.metrics import Filters
from dashboard.metrics.analytics import fix_effect, reason_share_trend
from data_loaders.importer import import_file
from tests.conftest import write

FILES = dict(
    invoices="invoice_id,customer_id,issue_date,due_date,amount\n"
    # before the fix (due 2024-01-01…2024-03-31): 2 of 3 invoices with reasons are "not
    # received", 300 + 100 of 600
    "A,C1,2023-12-01,2024-01-15,300\nB,C1,2023-12-01,2024-02-15,100\n"
    "C,C1,2023-12-01,2024-03-15,200\n"
    # after (2024-04-01…2024-06-29): 1 of 4, 50 of 1,000
    "D,C1,2024-03-01,2024-04-15,50\nE,C1,2024-03-01,2024-05-15,450\n"
    "F,C1,2024-03-01,2024-06-15,300\nG,C1,2024-03-01,2024-06-20,200\n",
    reasons="invoice_id,reason\nA,invoice_not_received\nB,invoice_not_received\n"
    "C,missing_po\nD,invoice_not_received\nE,missing_po\nF,forgotten\nG,price_dispute\n",
)


def test_the_share_before_and_after_a_fix(engine, tmp_path):
    for kind in ("invoices", "reasons"):
        import_file(engine, kind, write(tmp_path, f"{kind}.csv", FILES[kind]))
    fixed = dt.date(2024, 4, 1)
    effect = fix_effect(engine, "invoice_not_received", fixed, dt.date(2024, 6, 29), Filters())
    assert effect["days"] == 90  # the fix to T: 90 days, and the 90 days before it
    assert effect["before"]["start"] == dt.date(2024, 1, 2)
    before, after = effect["before"], effect["after"]
    assert (before["invoices"], before["late_invoices"]) == (2, 3)  # A and B of A, B, C
    assert before["share_pct"] == pytest.approx(100 * 400 / 600)
    assert (after["invoices"], after["late_invoices"]) == (1, 4)
    assert after["share_pct"] == pytest.approx(100 * 50 / 1000)
    assert fix_effect(engine, "invoice_not_received", dt.date(2024, 7, 1), dt.date(2024, 6, 29),
                      Filters()) is None  # fmt: skip
    trend = reason_share_trend(engine, dt.date(2024, 6, 29), 6, Filters(), "invoice_not_received")
    assert list(trend["invoices"]) == [1, 1, 0, 1, 0, 0]  # January … June
