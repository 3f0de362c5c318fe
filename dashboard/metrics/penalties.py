"""French late-payment penalties and the 40 € fixed indemnity (SPEC.md section 4): what the
company could claim from its business and public customers, beside the relationship.

The legal rate of a day is the ECB main refinancing rate in force on 1 January (for a day of
the first half-year) or 1 July (second half-year), plus 10 points, unless a contract rate is
given (``--rate``, else the setting ``penalty_rate_pct``).
"""

from __future__ import annotations

import bisect
import calendar
import csv
import datetime as dt
from collections import defaultdict
from pathlib import Path

from sqlalchemy import Engine, and_, select

from dashboard.core.money import money
from dashboard.core.periods import to_date
from dashboard.metrics.tables import CUS, INV, PAY, d, live
from dashboard.storage import store

ECB_RATES = Path(__file__).resolve().parents[1] / "core" / "data" / "ecb_main_refinancing_rate.csv"
LEGAL_MARGIN = 10.0  # points over the ECB rate
INDEMNITY_CENTS = 4000  # the fixed indemnity for collection costs (article D.441-5)
CAP_DAYS = 60  # terms beyond 60 days from issue (or 45 days end of month) exceed the law


def ecb_rates(engine: Engine | None = None) -> list[tuple[dt.date, float]]:
    """The shipped ECB history, with the newer rates an administrator added (settings
    ``ecb_rate.YYYY-MM-DD``), by effective date."""
    rates: dict[dt.date, float] = {}
    with open(ECB_RATES, encoding="utf-8") as f:
        for row in csv.DictReader(line for line in f if not line.startswith("#")):
            rates[dt.date.fromisoformat(row["effective"])] = float(row["rate_pct"])
    if engine is not None:
        for key, value in store.settings_with_prefix(engine, "ecb_rate.").items():
            rates[dt.date.fromisoformat(key)] = float(value)
    return sorted(rates.items())


def legal_rate(rates: list[tuple[dt.date, float]], day: dt.date) -> float:
    """The legal rate of ``day``: the ECB rate in force on 1 January or 1 July of its
    half-year, plus 10 points."""
    reference = dt.date(day.year, 1 if day.month <= 6 else 7, 1)
    i = bisect.bisect_right([r[0] for r in rates], reference) - 1
    return (rates[i][1] if i >= 0 else 0.0) + LEGAL_MARGIN


def cap_date(issue: dt.date) -> dt.date:
    """The latest due date the law allows: 60 days from issue, or 45 days end of month."""
    eom = issue + dt.timedelta(days=45)
    eom = dt.date(eom.year, eom.month, calendar.monthrange(eom.year, eom.month)[1])
    return max(issue + dt.timedelta(days=CAP_DAYS), eom)


def penalties(engine: Engine, as_of: dt.date, rate_pct: float | None = None) -> dict:
    """SPEC's ``penalties --json``: per invoice of a business or public customer with at least
    one day late at T, the penalty accrued day by day on what was unpaid that day, from the day
    after its due date to its settlement or T, and the 40 € indemnity; totals per customer and
    in all; the invoices whose terms exceed the legal caps."""
    if rate_pct is None:
        setting = store.get_setting(engine, "penalty_rate_pct")
        rate_pct = float(setting) if setting not in (None, "") else None
    rates = ecb_rates(engine)
    source = (
        f"contract rate {rate_pct:g}%"
        if rate_pct is not None
        else "legal rate: ECB main refinancing rate of 1 January or 1 July + 10 points"
    )
    by_half: dict[tuple, float] = {}

    def rate_at(day: dt.date) -> float:  # the legal rate looked up once per half-year
        if rate_pct is not None:
            return rate_pct
        half = (day.year, day.month <= 6)
        if half not in by_half:
            by_half[half] = legal_rate(rates, day)
        return by_half[half]

    with engine.connect() as conn:
        invoices = conn.execute(
            select(
                INV.c.invoice_id,
                INV.c.customer_id,
                INV.c.issue_date,
                INV.c.due_date,
                INV.c.amount_cents,
                CUS.c.customer_type,
            )
            .select_from(
                INV.outerjoin(CUS, and_(CUS.c.customer_id == INV.c.customer_id, live(CUS)))
            )
            .where(live(INV), INV.c.issue_date <= d(as_of), INV.c.due_date < d(as_of))
        ).all()
        paid: dict[str, list] = defaultdict(list)
        for inv, day, cents in conn.execute(
            select(PAY.c.invoice_id, PAY.c.payment_date, PAY.c.amount_cents).where(
                live(PAY), PAY.c.status == "completed", PAY.c.payment_date <= d(as_of)
            )
        ):
            paid[inv].append((to_date(day), int(cents)))
    rows, over_cap = [], []
    per_customer: dict[str, list] = defaultdict(lambda: [0, 0])
    for inv, who, issue, due, amount, kind in invoices:
        if kind == "b2c":  # the law is for business and public buyers
            continue
        issue, due, amount = to_date(issue), to_date(due), int(amount)
        if due > cap_date(issue):
            over_cap.append(
                {
                    "invoice_id": inv,
                    "customer_id": who,
                    "issue_date": issue.isoformat(),
                    "due_date": due.isoformat(),
                    "terms_days": (due - issue).days,
                }
            )
        payments = sorted(paid.get(inv, []))
        cents = _accrued(amount, payments, due, as_of, rate_at)
        if cents is None:
            continue
        accrued, last_day = cents
        claim = round(accrued)  # each invoice's penalty in whole cents; totals add them up
        rows.append(
            {
                "invoice_id": inv,
                "customer_id": who,
                "days_late": (last_day - due).days,
                "penalty": money(claim),
                "indemnity": money(INDEMNITY_CENTS),
            }
        )
        per_customer[who][0] += claim
        per_customer[who][1] += INDEMNITY_CENTS
    rows.sort(key=lambda r: (-r["penalty"], r["invoice_id"]))
    total_penalty = money(sum(p for p, _ in per_customer.values()))
    return {
        "as_of": as_of.isoformat(),
        "rate_source": source,
        "invoices": rows,
        "customers": [
            {"customer_id": who, "penalty": money(p), "indemnity": money(i)}
            for who, (p, i) in sorted(per_customer.items(), key=lambda kv: -kv[1][0])
        ],
        "total_penalty": total_penalty,
        "total_indemnity": money(INDEMNITY_CENTS * len(rows)),
        "terms_over_cap": sorted(over_cap, key=lambda r: (r["customer_id"], r["invoice_id"])),
    }


def _accrued(amount, payments, due, as_of, rate_at) -> tuple[float, dt.date] | None:
    """Σ over the days from due + 1 to settlement (or T) of unpaid × rate / 100 / 365, in
    cents, and the last day counted; None when the invoice was never a day late. Summed by
    runs of days where neither what is unpaid nor the rate changes (a payment counts from the
    day after it; the legal rate changes on 1 January and 1 July), not day by day."""
    paid_before = 0
    settled_on = None
    for day, cents in payments:
        paid_before += cents
        if paid_before >= amount - 1:
            settled_on = day
            break
    last = settled_on if settled_on is not None else as_of
    if last <= due:
        return None
    one = dt.timedelta(days=1)
    first, end = due + one, last + one
    edges = {first, end}
    edges.update(day + one for day, _ in payments if first < day + one < end)
    for year in range(first.year, last.year + 1):
        edges.update(e for e in (dt.date(year, 1, 1), dt.date(year, 7, 1)) if first < e < end)
    bounds = sorted(edges)
    total = 0.0
    i, paid = 0, 0
    for start, stop in zip(bounds, bounds[1:], strict=False):
        while i < len(payments) and payments[i][0] < start:  # paid before the run begins
            paid += payments[i][1]
            i += 1
        unpaid = max(0, amount - paid)
        total += unpaid * rate_at(start) / 100 / 365 * (stop - start).days
    return total, last
