"""Cash forecast: when the open invoices will be paid, week by week (SPEC.md section 4), and
how such forecasts fared against what came in (the backtest), beside the naive forecast.

Each forecast reads only what was known at its as-of date T: the items open at T, the payments
up to T, the promises made and plans agreed by T, the disputes recorded by T.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict

import numpy as np
from sqlalchemy import Connection, Engine, and_, func, select

from dashboard.core.filters import Filters
from dashboard.core.money import money
from dashboard.core.periods import to_date
from dashboard.metrics import columnar, events
from dashboard.metrics.columnar import day as day_number
from dashboard.metrics.sql import open_items_query, settled_invoices
from dashboard.metrics.tables import ACT, CODES, CUS, INV, PAY, REA, d, live, selected_customers

WEEKS = 13
BACKTEST_WEEKS = 26
WINDOW_DAYS = 365
MIN_OWN = 3  # fewer settled invoices than this: the segment's usual delay

RULE = {
    "en": "Each open invoice is expected: on the date of a live promise to pay (its promised "
    "amount); on its plan's instalment dates (their amounts); when disputed, on its due date + "
    "the median resolution days of its reason + the customer's usual delay; else on its due "
    "date + the customer's usual delay: the amount-weighted median days late of its invoices "
    "settled in the last 12 months (its segment's when it has fewer than 3). An expected date "
    "already past falls in the first week.",
    "fr": "Chaque facture ouverte est attendue : à la date d'une promesse de paiement en cours "
    "(son montant promis) ; aux dates des échéances de son plan (leurs montants) ; en litige, "
    "à son échéance + la médiane des jours de résolution de son motif + le retard habituel du "
    "client ; sinon à son échéance + le retard habituel du client : la médiane, pondérée par "
    "les montants, des jours de retard de ses factures réglées sur les 12 derniers mois (celle "
    "de son segment s'il en a moins de 3). Une date attendue déjà passée tombe dans la "
    "première semaine.",
}


def weighted_median(pairs: list[tuple[float, int]]) -> float | None:
    """The value at which half the weight lies on each side (pairs of value and weight)."""
    pairs = sorted((v, w) for v, w in pairs if w > 0)
    total = sum(w for _, w in pairs)
    if not total:
        return None
    run = 0
    for value, weight in pairs:
        run += weight
        if 2 * run >= total:
            return float(value)
    return float(pairs[-1][0])


def expected_payments(
    conn: Connection, as_of: dt.date, selected=None, delay: dict | None = None
) -> list[tuple]:
    """(date, cents, invoice_id) expected for every item open at T, by the rule (``delay``:
    the usual delays at T, when the caller has them from the columnar copy)."""
    items = open_items_query(as_of).subquery()
    q = select(
        items.c.invoice_id,
        items.c.customer_id,
        items.c.due_date,
        items.c.open_cents,
        items.c.disputed,
    ).where(items.c.open_cents > 0)
    if selected is not None:
        q = q.where(items.c.customer_id.in_(selected))
    open_items = conn.execute(q).all()
    if not open_items:
        return []
    delay = usual_delays(conn, as_of) if delay is None else delay
    segment_of = dict(conn.execute(select(CUS.c.customer_id, CUS.c.segment).where(live(CUS))).all())
    promised = live_promises(conn, as_of)
    planned = plan_dates(conn, as_of)
    dispute_days = dispute_delays(conn, as_of)
    out = []
    for inv, who, due, cents, disputed in open_items:
        due, cents = to_date(due), int(cents)
        usual = delay.get(("customer", who))
        if usual is None:
            usual = delay.get(("segment", segment_of.get(who)), delay.get(("all", None), 0.0))
        rest = cents
        for day, amount in sorted(promised.get(inv, [])):
            take = min(rest, amount)
            if take > 0:
                out.append((day, take, inv))
                rest -= take
        for day, amount in sorted(planned.get(inv, [])):
            take = min(rest, amount)
            if take > 0:
                out.append((day, take, inv))
                rest -= take
        if rest <= 0:
            continue
        extra = dispute_days.get(inv, 0.0) if disputed else 0.0
        out.append((due + dt.timedelta(days=round(extra + usual)), rest, inv))
    return out


def usual_delays(conn: Connection, as_of: dt.date) -> dict[tuple, float]:
    """Amount-weighted median days late of the invoices settled in the 12 months to T: per
    customer with at least 3, per segment, and over everyone."""
    start = as_of - dt.timedelta(days=WINDOW_DAYS - 1)
    settled = settled_invoices(as_of, None, start)
    rows = conn.execute(
        select(
            settled.c.customer_id,
            CUS.c.segment,
            settled.c.amount_cents,
            settled.c.due_date,
            settled.c.settled_on,
        ).select_from(
            settled.outerjoin(CUS, and_(CUS.c.customer_id == settled.c.customer_id, live(CUS)))
        )
    ).all()
    groups: dict[tuple, list] = defaultdict(list)
    for who, segment, amount, due, on in rows:
        pair = ((to_date(on) - to_date(due)).days, int(amount))
        groups[("customer", who)].append(pair)
        groups[("segment", segment)].append(pair)
        groups[("all", None)].append(pair)
    return {
        key: weighted_median(pairs)
        for key, pairs in groups.items()
        if key[0] != "customer" or len(pairs) >= MIN_OWN
    }


def usual_delays_of(cols, as_of: dt.date) -> dict[tuple, float]:
    """:func:`usual_delays` from the columnar copy (its settlement days are the same rule):
    the weighted medians by one sort, not a Python pass over a year of settled invoices."""
    start, t = day_number(as_of - dt.timedelta(days=WINDOW_DAYS - 1)), day_number(as_of)
    settled = cols.inv_settled
    rows = np.flatnonzero((settled >= start) & (settled <= t))
    who = cols.inv_cust[rows]
    late = settled[rows].astype(np.int64) - cols.inv_due[rows]
    amount = cols.inv_amount[rows].astype(np.int64)
    segments = np.append(cols.cus_segment, -1)[who]  # -1: a customer not in the table
    out: dict[tuple, float] = {}
    if len(rows):
        out[("all", None)] = float(
            weighted_medians(np.zeros(len(rows), np.int64), late, amount)[1][0]
        )
    names, labels = cols.labels["customer_id"], cols.labels["segment"]
    for group, median in zip(*weighted_medians(segments, late, amount), strict=True):
        out[("segment", labels[group] if group >= 0 else None)] = float(median)
    counts = np.bincount(who[who >= 0], minlength=len(names))
    for group, median in zip(*weighted_medians(who, late, amount), strict=True):
        if group >= 0 and counts[group] >= MIN_OWN:
            out[("customer", names[group])] = float(median)
    return out


def weighted_medians(
    groups: np.ndarray, values: np.ndarray, weights: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per group, :func:`weighted_median` of its (value, weight) pairs: the groups and their
    medians (groups whose weights are all zero have none)."""
    keep = weights > 0
    groups, values, weights = groups[keep], values[keep], weights[keep]
    if not len(groups):
        return groups, values
    order = np.lexsort((values, groups))
    groups, values, cum = groups[order], values[order], np.cumsum(weights[order])
    starts = np.flatnonzero(np.r_[True, groups[1:] != groups[:-1]])
    ends = np.r_[starts[1:], len(groups)]
    before = np.r_[0, cum[:-1]][starts]
    total = cum[ends - 1] - before
    # the first pair of each group whose running weight reaches half the group's: 2 * run ≥ total
    first = np.searchsorted(2 * cum, 2 * before + total, side="left")
    return groups[starts], values[first]


def live_promises(conn: Connection, as_of: dt.date) -> dict[str, list]:
    """Per invoice, (date, cents) of the promises made by T whose date + 3 days is not past;
    a promise without an amount is for what is open."""
    grace = dt.timedelta(days=events.PROMISE_GRACE_DAYS)
    rows = conn.execute(
        select(ACT.c.invoice_id, ACT.c.promised_date, ACT.c.promised_amount_cents).where(
            live(ACT),
            ACT.c.outcome == "promise_to_pay",
            ACT.c.invoice_id.is_not(None),
            ACT.c.action_date <= d(as_of),
            ACT.c.promised_date >= d(as_of - grace),
        )
    ).all()
    out: dict[str, list] = defaultdict(list)
    for inv, day, cents in rows:
        out[inv].append((to_date(day), int(cents) if cents is not None else 10**15))
    return out


def plan_dates(conn: Connection, as_of: dt.date) -> dict[str, list]:
    """Per invoice, (due date, cents) of the plan instalments agreed by T and not yet due."""
    plan = events.PLAN
    rows = conn.execute(
        select(plan.c.invoice_id, plan.c.due_date, plan.c.amount_cents).where(
            live(plan),
            plan.c.invoice_id.is_not(None),
            plan.c.due_date >= d(as_of),
            func.coalesce(plan.c.agreed_date, plan.c.due_date) <= d(as_of),
        )
    ).all()
    out: dict[str, list] = defaultdict(list)
    for inv, day, cents in rows:
        out[inv].append((to_date(day), int(cents)))
    return out


def dispute_delays(conn: Connection, as_of: dt.date) -> dict[str, float]:
    """Per invoice with a reason, the median resolution days of its reason (records resolved by
    T in the 12 months before), 0 when none of that reason was resolved."""
    start = as_of - dt.timedelta(days=WINDOW_DAYS - 1)
    recorded = func.coalesce(REA.c.recorded_date, INV.c.issue_date)
    resolved = conn.execute(
        select(REA.c.reason, recorded, REA.c.resolved_date)
        .select_from(REA.join(INV, and_(INV.c.invoice_id == REA.c.invoice_id, live(INV))))
        .where(live(REA), REA.c.resolved_date.between(d(start), d(as_of)))
    ).all()
    spans: dict[str, list] = defaultdict(list)
    for reason, rec, res in resolved:
        spans[reason].append(max(0, (to_date(res) - to_date(rec)).days))
    median = {r: float(statistics.median(v)) for r, v in spans.items()}
    reasons = conn.execute(
        select(REA.c.invoice_id, REA.c.reason)
        .outerjoin(CODES, CODES.c.code == REA.c.reason)
        .where(live(REA))
    ).all()
    out: dict[str, float] = {}
    for inv, reason in reasons:
        out[inv] = max(out.get(inv, 0.0), median.get(reason, 0.0))
    return out


def weekly(expected: list[tuple], as_of: dt.date, weeks: int) -> list[dict]:
    """Expected cash per week: week k runs from T + 1 + 7k for 7 days; a date already past
    falls in the first."""
    totals = [0] * weeks
    for day, cents, _ in expected:
        k = max(0, (day - as_of).days - 1) // 7
        if k < weeks:
            totals[k] += cents
    return [
        {"week_start": (as_of + dt.timedelta(days=1 + 7 * k)).isoformat(), "expected": money(c)}
        for k, c in enumerate(totals)
    ]


def delays_at(engine: Engine, as_of: dt.date) -> dict | None:
    """The usual delays at T from the columnar copy, None where the SQL engine serves."""
    cols = columnar.columns_for(engine)
    return None if cols is None else usual_delays_of(cols, as_of)


def forecast(engine: Engine, as_of: dt.date, weeks: int = WEEKS, filters=None) -> dict:
    """SPEC's ``forecast --json``: ``as_of``, ``weeks`` and ``rule``."""
    delay = delays_at(engine, as_of)
    with engine.connect() as conn:
        expected = expected_payments(conn, as_of, selected_customers(filters or Filters()), delay)
    return {"as_of": as_of.isoformat(), "weeks": weekly(expected, as_of, weeks), "rule": RULE["en"]}


def backtest(engine: Engine, as_of: dt.date, weeks: int = 4, history: int = BACKTEST_WEEKS) -> dict:
    """For each of the last ``history`` week-ends whose next ``weeks`` weeks are known by T,
    the forecast of those weeks against the cash that came in on the invoices then open, and
    the naive forecast (every open invoice paid on its due date). Errors are weighted absolute
    percentage errors: Σ |forecast − actual| / Σ actual, in %."""
    points = []
    err = naive_err = actual_total = 0
    with engine.connect() as conn:
        for k in range(history):
            t = as_of - dt.timedelta(days=7 * (weeks + k))
            expected = expected_payments(conn, t, delay=delays_at(engine, t))
            if not expected:
                continue
            open_ids = {inv for _, _, inv in expected}
            naive = naive_payments(conn, t)
            came = actual_payments(conn, t, weeks, open_ids)
            for w, (f, n) in enumerate(
                zip(weekly(expected, t, weeks), weekly(naive, t, weeks), strict=True)
            ):
                a = came[w]
                points.append(
                    {
                        "as_of": t.isoformat(),
                        "week_start": f["week_start"],
                        "forecast": f["expected"],
                        "naive": n["expected"],
                        "actual": money(a),
                    }
                )
                err += abs(round(f["expected"] * 100) - a)
                naive_err += abs(round(n["expected"] * 100) - a)
                actual_total += a
    mape = 100 * err / actual_total if actual_total else None
    naive_mape = 100 * naive_err / actual_total if actual_total else None
    return {"mape": mape, "naive_mape": naive_mape, "points": sorted(points, key=_point_order)}


def _point_order(p: dict) -> tuple:
    return (p["as_of"], p["week_start"])


def naive_payments(conn: Connection, as_of: dt.date) -> list[tuple]:
    """Every item open at T paid in full on its due date."""
    items = open_items_query(as_of).subquery()
    rows = conn.execute(
        select(items.c.invoice_id, items.c.due_date, items.c.open_cents).where(
            items.c.open_cents > 0
        )
    ).all()
    return [(to_date(due), int(c), inv) for inv, due, c in rows]


def actual_payments(conn: Connection, as_of: dt.date, weeks: int, invoices: set) -> list[int]:
    """Completed payments, per week after T, of the invoices open at T (cents)."""
    end = as_of + dt.timedelta(days=7 * weeks)
    rows = conn.execute(
        select(PAY.c.invoice_id, PAY.c.payment_date, PAY.c.amount_cents).where(
            live(PAY),
            PAY.c.status == "completed",
            PAY.c.payment_date.between(d(as_of + dt.timedelta(days=1)), d(end)),
        )
    ).all()
    totals = [0] * weeks
    for inv, day, cents in rows:
        if inv in invoices:
            totals[((to_date(day) - as_of).days - 1) // 7] += int(cents)
    return totals
