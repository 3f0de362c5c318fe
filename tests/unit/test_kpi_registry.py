"""The KPI declarations on hand-computed measures: no database, no engine.

A fake ``Measures`` object holds SPEC.md's worked example (section 3): invoices A 1000 issued
2024-01-10 due 2024-02-09 and B 500 issued 2024-02-15 due 2024-03-16, A paid 1000 on
2024-02-20, P = February 2024.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

import pytest

from dashboard.core.filters import NO_FILTER, Filters
from dashboard.core.periods import Period
from dashboard.metrics.events import DisputeTotals, PlanTotals, PromiseTotals
from dashboard.metrics.measures import (
    AGING_BUCKETS,
    LedgerTotals,
    PaymentTotals,
    Settlements,
    SurveyCounts,
)
from dashboard.metrics.registry import KPI_KEYS, METRICS, UNITS

SPEC = Path(__file__).resolve().parents[3] / "shared" / "SPEC.md"
FEB = Period(dt.date(2024, 2, 1), dt.date(2024, 2, 29))
LEDGER = LedgerTotals(
    receivables_cents=50_000,
    current_cents=50_000,
    d1_30_cents=0,
    d31_60_cents=0,
    d61_90_cents=0,
    d90_plus_cents=0,
    receivables_before_cents=100_000,
    credit_sales_cents=50_000,
    owed_cents=100_000,
    got_cents=100_000,
    written_off_cents=0,
    issued_count=1,
    disputed_count=0,
)


@dataclass
class FakeMeasures:
    period: Period = FEB
    filters: Filters = NO_FILTER
    ledger: LedgerTotals = LEDGER
    payments: PaymentTotals = PaymentTotals(collected_cents=100_000, records=1, failed=0)
    settlements: Settlements = Settlements(
        amount_cents=100_000, weighted_days_late_cents=100_000 * 11
    )
    issued_by_month: dict[str, int] = field(
        default_factory=lambda: {"2024-01": 100_000, "2024-02": 50_000}
    )
    has_cost_data: bool = True
    action_cost_cents: int = 1_000
    overhead_cost_cents: float = 500.0
    surveys: SurveyCounts = SurveyCounts(
        csat_n=4, csat_ok=3, nps_n=10, promoters=5, detractors=2, ces_n=2, ces_sum=7
    )
    late_reasons: list[dict] = field(default_factory=list)
    owners: list[dict] = field(default_factory=list)
    promises: PromiseTotals = PromiseTotals(due=4, kept=3, broken_cents=20_000)
    plans: PlanTotals = PlanTotals(due=5, kept=4)
    disputes: DisputeTotals = DisputeTotals(
        open_invoices=2, open_cents=90_000, resolution_days=12.5
    )

    @property
    def days(self) -> int:
        return self.period.days

    @property
    def dispute_resolution_days(self) -> float | None:
        return self.disputes.resolution_days


def compute(s) -> dict:
    return {name: m.compute(s) for name, m in METRICS.items()}


def test_the_worked_example_of_the_spec():
    k = compute(FakeMeasures())
    assert k["receivables"] == 500.0 and k["current"] == 500.0 and k["overdue"] == 0.0
    assert k["credit_sales"] == 500.0 and k["collected"] == 1000.0
    assert k["dso"] == 29.0 and k["best_possible_dso"] == 29.0 and k["add"] == 0.0
    assert k["dso_countback"] == 29.0
    assert k["cei"] == 100.0 and k["recovery_rate"] == 100.0
    assert k["avg_days_late"] == 11.0
    assert k["overdue_pct"] == 0.0


def test_costs_surveys_and_rates_by_hand():
    k = compute(FakeMeasures())
    assert k["collection_cost"] == 15.0  # 10.00 of actions + 5.00 of cost lines
    assert k["cost_to_collect"] == pytest.approx(1.5)  # 1,500 / 100,000 cents
    assert k["csat"] == 75.0 and k["nps"] == 30.0 and k["ces"] == 3.5
    assert k["dispute_rate"] == 0.0 and k["payment_failure_rate"] == 0.0
    assert k["written_off"] == 0.0 and k["bad_debt_rate"] == 0.0
    off = compute(FakeMeasures(ledger=replace(LEDGER, written_off_cents=12_500)))
    assert off["written_off"] == 125.0 and off["bad_debt_rate"] == 25.0  # of 500 sold
    unknown = compute(FakeMeasures(has_cost_data=False))  # no cost data: unknown, not free
    assert unknown["collection_cost"] is None and unknown["cost_to_collect"] is None


def test_promises_plans_and_disputes_by_hand():
    k = compute(FakeMeasures())
    assert k["promise_kept_rate"] == 75.0 and k["plan_kept_rate"] == 80.0
    assert k["dispute_resolution_days"] == 12.5
    none = compute(
        FakeMeasures(promises=PromiseTotals(), plans=PlanTotals(), disputes=DisputeTotals())
    )
    assert none["promise_kept_rate"] is None and none["plan_kept_rate"] is None
    assert none["dispute_resolution_days"] is None


def test_countback_walks_back_over_months():
    # receivables 2,000: February's 500 covers 29 days, January's 1,000 its 31, December's
    # 1,000 half of its 31 days
    s = FakeMeasures(
        ledger=replace(LEDGER, receivables_cents=200_000),
        issued_by_month={"2024-02": 50_000, "2024-01": 100_000, "2023-12": 100_000},
    )
    assert METRICS["dso_countback"].compute(s) == pytest.approx(29 + 31 + 15.5)


def test_a_zero_denominator_is_undefined_not_zero():
    empty = FakeMeasures(
        ledger=LedgerTotals(*([0] * 13)),
        payments=PaymentTotals(0, 0, 0),
        settlements=Settlements(0, 0),
        issued_by_month={},
        action_cost_cents=0,
        overhead_cost_cents=0.0,
        surveys=SurveyCounts(),
    )
    k = compute(empty)
    for name in (
        "dso",
        "best_possible_dso",
        "add",
        "cei",
        "recovery_rate",
        "avg_days_late",
        "cost_to_collect",
        "dispute_rate",
        "payment_failure_rate",
        "csat",
        "nps",
        "ces",
        "overdue_pct",
    ):
        assert k[name] is None, name
    assert k["receivables"] == 0.0 and k["dso_countback"] == 0.0


def test_every_kpi_is_declared_whole():
    for m in METRICS.values():
        assert m.unit in UNITS and m.better in {"up", "down", "none"}, m.name
        assert re.fullmatch(r"[a-z_]+", m.name)
        assert m.label and m.label_fr and m.formula and m.formula_fr, m.name
        assert m.formula_fr != m.formula, m.name  # written in French, not copied
        assert "=" in m.formula or "walk back" in m.formula, m.name
        assert m.label_in("fr") == m.label_fr and m.formula_in("en") == m.formula


def test_the_json_keys_follow_the_registry():
    assert KPI_KEYS[:3] == ("from", "to", "currency")
    assert tuple(k for k in KPI_KEYS[3:-4] if k != "disputes_open") == tuple(METRICS)
    assert KPI_KEYS[-4:] == ("survey_responses", "aging", "late_reasons", "owners")
    assert set(LEDGER.aging_cents()) == set(AGING_BUCKETS)


def test_the_json_keys_are_exactly_those_of_the_spec():
    if not SPEC.exists():
        pytest.skip(f"SPEC.md not found at {SPEC}")
    text = SPEC.read_text(encoding="utf-8")
    start = text.index("prints one JSON object with exactly these keys")
    end = text.find("\n\n", start)
    block = text[start : end if end > 0 else len(text)]
    # the top-level keys are backticked; what a key holds is given in (…) after it
    flat = re.sub(r"\([^)]*\)", "", block)
    keys = tuple(re.findall(r"`([a-z_]+)`", flat))
    assert keys == KPI_KEYS


def test_the_same_dates_a_year_earlier():
    from dashboard.core.periods import Period

    ytd = Period(dt.date(2024, 1, 1), dt.date(2024, 2, 29))
    assert ytd.a_year_earlier() == Period(dt.date(2023, 1, 1), dt.date(2023, 2, 28))
    assert ytd.previous() == Period(dt.date(2023, 11, 2), dt.date(2023, 12, 31))
