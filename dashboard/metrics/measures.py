"""The typed building blocks every KPI is computed from, and the protocol both engines follow.

A ``Measures`` object holds the aggregates of one period and one customer filter, each computed
once on first use: the SQL engine (``metrics.sql``) queries the database, the columnar engine
(``metrics.columnar``) reduces numpy arrays; both return the same integers (money in cents).
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Protocol

from dashboard.core.filters import Filters
from dashboard.core.money import cents
from dashboard.core.periods import Period

if TYPE_CHECKING:
    from dashboard.metrics.events import DisputeTotals, PlanTotals, PromiseTotals

AGING_BUCKETS = ("current", "d1_30", "d31_60", "d61_90", "d90_plus")


@dataclass(frozen=True)
class LedgerTotals:
    """Invoices issued by T against their completed payments up to T (and up to F − 1)."""

    receivables_cents: int
    current_cents: int
    d1_30_cents: int
    d31_60_cents: int
    d61_90_cents: int
    d90_plus_cents: int
    receivables_before_cents: int  # receivables(F − 1)
    credit_sales_cents: int
    owed_cents: int  # recovery rate's denominator
    got_cents: int  # recovery rate's numerator
    written_off_cents: int  # write-offs dated in P
    issued_count: int
    disputed_count: int

    @property
    def overdue_cents(self) -> int:
        return self.receivables_cents - self.current_cents

    def aging_cents(self) -> dict[str, int]:
        """The aging buckets of SPEC.md, by key."""
        return {b: getattr(self, f"{b}_cents") for b in AGING_BUCKETS}


@dataclass(frozen=True)
class PaymentTotals:
    """Payment records dated in P: completed cash, and every attempt."""

    collected_cents: int
    records: int
    failed: int  # failed, incomplete or input error


@dataclass(frozen=True)
class Settlements:
    """Invoices fully settled on a date in P."""

    amount_cents: int
    weighted_days_late_cents: int  # Σ amount × (settlement date − due date)


@dataclass(frozen=True)
class SurveyCounts:
    """Survey answers dated in P."""

    csat_n: int = 0
    csat_ok: int = 0  # CSAT answers scoring 4 or 5
    nps_n: int = 0
    promoters: int = 0  # NPS 9–10
    detractors: int = 0  # NPS 0–6
    ces_n: int = 0
    ces_sum: int = 0

    @classmethod
    def from_row(cls, row) -> SurveyCounts:
        """From a query row or mapping whose keys are these field names."""
        return cls(**{f.name: cents(row[f.name]) for f in fields(cls)})

    @property
    def responses(self) -> int:
        return self.csat_n + self.nps_n + self.ces_n


class Measures(Protocol):
    """What a KPI may read: the building blocks of one period and filter."""

    period: Period
    filters: Filters

    @property
    def days(self) -> int: ...

    @property
    def ledger(self) -> LedgerTotals: ...

    @property
    def payments(self) -> PaymentTotals: ...

    @property
    def settlements(self) -> Settlements: ...

    @property
    def issued_by_month(self) -> dict[str, int]:
        """Σ cents issued per "YYYY-MM", for the 24 months up to T."""
        ...

    @property
    def has_cost_data(self) -> bool:
        """Whether the store holds any cost data (a cost line, or an action costing more
        than zero), whatever the period and filter: without any, costs are unknown, not 0."""
        ...

    @property
    def action_cost_cents(self) -> int: ...

    @property
    def overhead_cost_cents(self) -> float:
        """Cost lines prorated by the days of their month inside P (cents, not rounded)."""
        ...

    @property
    def surveys(self) -> SurveyCounts: ...

    @property
    def late_reasons(self) -> list[dict]: ...

    @property
    def promises(self) -> PromiseTotals: ...

    @property
    def plans(self) -> PlanTotals: ...

    @property
    def disputes(self) -> DisputeTotals: ...

    @property
    def dispute_resolution_days(self) -> float | None:
        """``disputes.resolution_days``, which a trend reads without the open disputes."""
        ...

    @property
    def owners(self) -> list[dict]: ...


# (month "YYYY-MM", the customers' segment or None) -> (selected customers', everyone's):
# collection actions counted, or completed payments summed in cents
Pools = dict[tuple[str, str | None], tuple[int, int]]


def overhead_cost(lines, period: Period, filtered: bool, pools) -> float:
    """Cost lines (month, cents, segment) of P's months, prorated to P: all of each line for
    the whole company, the selected customers' shares under a filter (``pools()`` gives the
    actions and payments pools, asked only then). In cents."""
    if not filtered:
        return prorated_cost([(m, a) for m, a, _ in lines], period)
    return shared_cost(lines, period, *pools()) if lines else 0.0


def shared_cost(lines, period: Period, actions: Pools, payments: Pools) -> float:
    """Σ of cost lines (month, cents, segment) prorated to P, each times the selected
    customers' share of its pool (SPEC 3, "Shared costs"): the customers of its segment, or
    every customer when it has none, by collection actions in its month; without any, by
    completed payments; without either, no share (the line stays unallocated). In cents."""
    pools: dict[tuple[str, str | None], list] = {}
    for month, amount, segment in lines:
        pools.setdefault((str(month), segment), []).append((month, amount))
    total = 0.0
    for (month, segment), pool_lines in sorted(
        pools.items(), key=lambda kv: (kv[0][0], str(kv[0][1]))
    ):
        share = pool_share(actions, month, segment) or pool_share(payments, month, segment)
        if share:
            total += prorated_cost(pool_lines, period) * share
    return total


def pool_share(counts: Pools, month: str, segment: str | None) -> float:
    """The selected customers' share of a month's pool (0 when the pool has nothing)."""
    if segment is None:  # every customer
        pairs = [v for (m, _), v in counts.items() if m == month]
    else:
        pairs = [counts.get((month, segment), (0, 0))]
    selected, everyone = sum(p[0] for p in pairs), sum(p[1] for p in pairs)
    return selected / everyone if everyone else 0.0


def prorated_cost(lines, period: Period) -> float:
    """Σ of (month "YYYY-MM", cents) cost lines × (days of their month inside P) / (days in
    their month), in cents; months summed in calendar order, so every engine adds alike."""
    per_month: dict[str, int] = {}
    for month, amount in lines:
        per_month[str(month)] = per_month.get(str(month), 0) + cents(amount)
    f, t = period.start, period.end
    total = 0.0
    for month in sorted(per_month):
        y, m = int(month[:4]), int(month[5:7])
        length = calendar.monthrange(y, m)[1]
        lo, hi = max(f, dt.date(y, m, 1)), min(t, dt.date(y, m, length))
        inside = (hi - lo).days + 1
        if inside > 0:
            total += per_month[month] * inside / length
    return total
