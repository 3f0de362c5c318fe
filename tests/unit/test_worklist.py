"""The payer score and the priority of the worklist, on hand-computed histories."""

from __future__ import annotations

import pytest

from dashboard.metrics.worklist import History, band, payer_score, priority, why_text


def test_the_payer_score_takes_each_stated_part():
    # 30 days late on average: −20; every invoice late: −20; 2 broken promises: −10;
    # 1 disputed of 4: −3.75; 1 failed payment: −5
    h = History(
        weighted_days_late=30, settled=4, paid_late=4, issued=4, disputed=1,
        broken_promises=2, failed_payments=1,
    )  # fmt: skip
    assert payer_score(h) == pytest.approx(100 - 20 - 20 - 10 - 3.75 - 5)


def test_the_payer_score_is_bounded_and_unknown_without_history():
    assert payer_score(History(weighted_days_late=-5, settled=3, issued=3)) == 100  # early
    worst = History(
        weighted_days_late=400, settled=1, paid_late=1, issued=1, disputed=1,
        broken_promises=9, failed_payments=9,
    )  # fmt: skip
    assert payer_score(worst) == 0  # 100 − 40 − 20 − 15 − 15 − 10
    assert payer_score(History(issued=2)) is None  # nothing settled in 12 months
    assert band(None) == "new" and band(70) == "good" and band(40) == "fair" and band(39) == "poor"


def test_the_priority_adds_its_stated_parts():
    # the largest overdue, 45 days, score 50, one broken promise, no dispute, 15 days since
    # the last contact: 30 + 12.5 + 10 + 5 + 0 + 5
    assert priority(1000, 1000, 45, 50, 1, 0, 15, False) == 62.5
    # half the largest, 180 days (capped), no score, a dispute, never contacted, escalated
    assert priority(500, 1000, 180, None, 0, 1, None, True) == 15 + 25 + 10 + 5 + 10 - 20


def test_the_reasons_read_in_both_languages():
    reasons = [("overdue", {"cents": 123456, "days": 12}), ("contact_today", {})]
    assert why_text(reasons) == "1,234.56 overdue, the oldest 12 days past due; contacted today"
    assert why_text(reasons, "fr") == (
        "1\u202f234,56 échus, le plus ancien depuis 12 jours ; contacté aujourd'hui"
    )
