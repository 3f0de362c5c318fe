"""Promises to pay, payment plans and disputes (SPEC.md section 3): figures made of few events,
each matched with the payments that keep it.

Both engines compute them here, with the same queries and the same Python, so they agree by
construction: the events are a small part of the store (a promise is one action in ten, a plan
a few rows per customer) and only their customers' payments are read.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import statistics
import threading
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property

from sqlalchemy import Connection, Engine, and_, case, func, or_, select

from dashboard.core.filters import Filters
from dashboard.core.periods import Period, month_start, to_date
from dashboard.core.taxonomy import FALLBACK_OWNER
from dashboard.metrics.tables import (
    ACT,
    CODES,
    INV,
    PAY,
    REA,
    d,
    live,
    scoped,
    selected_customers,
    written_off_by,
)
from dashboard.storage.models import Plan

PLAN = Plan.__table__
PROMISE_GRACE_DAYS = 3  # a promise is kept by its date + 3 days
PLAN_GRACE_DAYS = 5  # an instalment by its due date + 5 days
WITHIN = 1  # cents: "reach the amount (within 0.01)"


@dataclass(frozen=True)
class PromiseTotals:
    """Promises whose date + 3 days falls in P."""

    due: int = 0
    kept: int = 0
    broken_cents: int = 0  # Σ promised amounts of the broken ones (their invoice's open amount
    # when the promise names none)

    @property
    def broken(self) -> int:
        return self.due - self.kept


@dataclass(frozen=True)
class PlanTotals:
    """Plan instalments whose due date + 5 days falls in P."""

    due: int = 0
    kept: int = 0

    @property
    def late(self) -> int:
        return self.due - self.kept


@dataclass(frozen=True)
class DisputeTotals:
    """Disputes open at T (records recorded by T, not resolved by T) and the resolution days of
    those resolved in P; per owner as well."""

    open_invoices: int = 0
    open_cents: int = 0
    resolution_days: float | None = None
    by_owner: dict[str, dict] = field(default_factory=dict)


def _completed():
    return and_(live(PAY), PAY.c.status == "completed")


def _paid_by(t: dt.date):
    """An invoice's completed payments up to T, looked up by invoice in the query that uses it
    (an aggregate of the whole ledger's payments took seconds at a million invoices)."""
    return (
        select(func.coalesce(func.sum(PAY.c.amount_cents), 0))
        .where(PAY.c.invoice_id == INV.c.invoice_id, _completed(), PAY.c.payment_date <= d(t))
        .correlate(INV)
        .scalar_subquery()
    )


PROMISE_COLUMNS = (
    ACT.c.customer_id,
    ACT.c.invoice_id,
    ACT.c.action_date,
    ACT.c.promised_date,
    ACT.c.promised_amount_cents,
    ACT.c.collector,
)


def promise_totals(conn: Connection, period: Period, selected=None) -> PromiseTotals:
    """Promises whose date + 3 days falls in P, judged by :func:`judge_promises`."""
    return promise_totals_of(conn, [period], selected)[0]


def promises_due(first: dt.date, last: dt.date, selected=None):
    """The promises whose date + 3 days falls in [first, last] (``PROMISE_COLUMNS``), found
    through the promised-date index. ``replaced_by + 0`` and ``customer_id || ''`` (SQLite's
    way to keep an index out of a plan): without statistics, SQLite took the replaced_by or
    the customer index and read every action, or every action of the filter's customers
    (0.05–0.13 s per query at a million invoices, once per collector on the Segments page)."""
    grace = dt.timedelta(days=PROMISE_GRACE_DAYS)
    q = select(*PROMISE_COLUMNS).where(
        (ACT.c.replaced_by + 0).is_(None),
        ACT.c.outcome == "promise_to_pay",
        ACT.c.promised_date.between(d(first - grace), d(last - grace)),
    )
    return scoped(q, ACT.c.customer_id + "", selected)


def promise_totals_of(conn: Connection, periods: list[Period], selected=None) -> list:
    """``promise_totals`` of several periods from one read: a promise's verdict depends on
    itself alone, so each is judged once and counted in every period its date + 3 days is in."""
    grace = dt.timedelta(days=PROMISE_GRACE_DAYS)
    first, last = min(p.start for p in periods), max(p.end for p in periods)
    promises = conn.execute(promises_due(first, last, selected)).all()
    judged = list(zip(promises, judge_promises(conn, promises), strict=True))
    out = []
    for period in periods:
        due = [
            v for p, v in judged if period.start <= to_date(p.promised_date) + grace <= period.end
        ]
        kept = sum(ok for ok, _ in due)
        broken_cents = sum(at_stake for ok, at_stake in due if not ok)
        out.append(PromiseTotals(len(due), kept, broken_cents))
    return out


def judge_promises(conn: Connection, promises) -> list[tuple[bool, int]]:
    """Per promise (rows of ``PROMISE_COLUMNS``): whether it was kept, and what it put at stake
    (its amount, else its invoice's open amount on the day it was made). Kept: the completed
    payments of its invoice (of its customer when it names none), dated from the action to the
    promised date + 3 days, reach the promised amount, or its invoice is paid in full by
    then; a promise with neither an invoice nor an amount is kept by any completed payment of
    its customer in that window."""
    if not promises:
        return []
    grace = dt.timedelta(days=PROMISE_GRACE_DAYS)
    last = max(to_date(p.promised_date) for p in promises) + grace
    invoices = {p.invoice_id for p in promises if p.invoice_id}
    customers = {p.customer_id for p in promises if not p.invoice_id}
    amounts, by_invoice, by_customer = _payments(conn, invoices, customers, last)
    out = []
    for p in promises:
        start, deadline = to_date(p.action_date), to_date(p.promised_date) + grace
        promised = p.promised_amount_cents
        if p.invoice_id:
            history = by_invoice.get(p.invoice_id, [])
            window = sum(c for day, c in history if start <= day <= deadline)
            owed = amounts.get(p.invoice_id)
            paid_by_deadline = sum(c for day, c in history if day <= deadline)
            settled = owed is not None and paid_by_deadline >= owed - WITHIN
            ok = settled or (promised is not None and window >= promised)
            open_then = max(0, (owed or 0) - sum(c for day, c in history if day < start))
        else:
            history = by_customer.get(p.customer_id, [])
            window = sum(c for day, c in history if start <= day <= deadline)
            ok = window >= promised if promised is not None else window > 0
            open_then = 0
        out.append((ok, promised if promised is not None else open_then))
    return out


def customer_promises(conn: Connection, customer_id: str, end: dt.date) -> list[dict]:
    """A customer's promises made by T, newest first: kept, broken, or live (its date + 3 days
    not yet passed at T, so not yet judged)."""
    grace = dt.timedelta(days=PROMISE_GRACE_DAYS)
    rows = conn.execute(
        select(*PROMISE_COLUMNS)
        .where(
            live(ACT),
            ACT.c.outcome == "promise_to_pay",
            ACT.c.customer_id == customer_id,
            ACT.c.action_date <= d(end),
            ACT.c.promised_date.is_not(None),
        )
        .order_by(ACT.c.action_date.desc())
    ).all()
    judged = [r for r in rows if to_date(r.promised_date) + grace <= end]
    verdicts = dict(zip(map(id, judged), judge_promises(conn, judged), strict=True))
    out = []
    for r in rows:
        verdict = verdicts.get(id(r))
        out.append(
            {
                "action_date": to_date(r.action_date),
                "invoice_id": r.invoice_id,
                "promised_date": to_date(r.promised_date),
                "promised_eur": None
                if r.promised_amount_cents is None
                else r.promised_amount_cents / 100,
                "promise_status": "live" if verdict is None else "kept" if verdict[0] else "broken",
                "collector": r.collector,
            }
        )
    return out


def _payments(conn: Connection, invoices: set, customers: set, last: dt.date):
    """The invoices' amounts, and the completed payments (day, cents) up to ``last`` of those
    invoices and of those customers' invoices."""
    amounts: dict[str, int] = {}
    by_invoice: dict[str, list] = defaultdict(list)
    by_customer: dict[str, list] = defaultdict(list)
    for chunk in _chunks(sorted(invoices)):
        rows = conn.execute(
            select(INV.c.invoice_id, INV.c.amount_cents).where(
                live(INV), INV.c.invoice_id.in_(chunk)
            )
        )
        amounts.update({i: int(a) for i, a in rows})
        rows = conn.execute(
            select(PAY.c.invoice_id, PAY.c.payment_date, PAY.c.amount_cents).where(
                _completed(), PAY.c.invoice_id.in_(chunk), PAY.c.payment_date <= d(last)
            )
        )
        for i, day, c in rows:
            by_invoice[i].append((to_date(day), int(c)))
    for chunk in _chunks(sorted(customers)):
        rows = conn.execute(
            select(INV.c.customer_id, PAY.c.payment_date, PAY.c.amount_cents)
            .select_from(PAY.join(INV, and_(INV.c.invoice_id == PAY.c.invoice_id, live(INV))))
            .where(_completed(), INV.c.customer_id.in_(chunk), PAY.c.payment_date <= d(last))
        )
        for who, day, c in rows:
            by_customer[who].append((to_date(day), int(c)))
    return amounts, by_invoice, by_customer


def _chunks(values: list, size: int = 500):
    for i in range(0, len(values), size):
        yield values[i : i + size]


PLAN_COLUMNS = (
    PLAN.c.plan_id,
    PLAN.c.customer_id,
    PLAN.c.invoice_id,
    PLAN.c.instalment,
    PLAN.c.due_date,
    PLAN.c.amount_cents,
    PLAN.c.agreed_date,
)


def plan_totals(conn: Connection, period: Period, selected=None) -> PlanTotals:
    """Instalments whose due date + 5 days falls in P, judged by :func:`judge_plans`."""
    return plan_totals_of(conn, [period], selected)[0]


def plan_totals_of(conn: Connection, periods: list[Period], selected=None) -> list:
    """``plan_totals`` of several periods from one read: an instalment's verdict depends on its
    plan's payments up to its own due date + 5 days, whatever the period that counts it."""
    grace = dt.timedelta(days=PLAN_GRACE_DAYS)
    first, last = min(p.start for p in periods), max(p.end for p in periods)
    due_plans = select(PLAN.c.plan_id).where(
        live(PLAN), PLAN.c.due_date.between(d(first - grace), d(last - grace))
    )
    due_plans = scoped(due_plans, PLAN.c.customer_id, selected)
    rows = conn.execute(
        select(*PLAN_COLUMNS).where(live(PLAN), PLAN.c.plan_id.in_(due_plans))
    ).all()
    verdicts = [(to_date(r.due_date) + grace, ok) for r, ok in judge_plans(conn, rows, last)]
    out = []
    for period in periods:
        due = [ok for deadline, ok in verdicts if period.start <= deadline <= period.end]
        out.append(PlanTotals(len(due), sum(bool(ok) for ok in due)))
    return out


def judge_plans(conn: Connection, rows, end: dt.date) -> list[tuple[object, bool | None]]:
    """Per instalment (rows of ``PLAN_COLUMNS``, whole plans), in due order: kept when the
    plan's completed payments (on its invoices, or its customer's when it names none; dated on
    or after its agreed date when it has one) reach its instalments summed up to this one by
    this one's due date + 5 days; ``None`` while that day is after ``end``."""
    if not rows:
        return []
    grace = dt.timedelta(days=PLAN_GRACE_DAYS)
    plans: dict[str, list] = defaultdict(list)
    for r in rows:
        plans[r.plan_id].append(r)
    last = min(max(to_date(r.due_date) for r in rows) + grace, end)
    invoices = {r.invoice_id for r in rows if r.invoice_id}
    customers = {r.customer_id for r in rows}
    _, by_invoice, by_customer = _payments(conn, invoices, customers, last)
    out = []
    for plan_id in sorted(plans):
        instalments = sorted(plans[plan_id], key=lambda r: (to_date(r.due_date), r.instalment))
        own = {r.invoice_id for r in instalments if r.invoice_id}
        if own:
            paid = [p for i in sorted(own) for p in by_invoice.get(i, [])]
        else:
            paid = list(by_customer.get(instalments[0].customer_id, []))
        agreed = [to_date(r.agreed_date) for r in instalments if r.agreed_date is not None]
        if agreed:
            paid = [(day, c) for day, c in paid if day >= min(agreed)]
        owed = 0
        for r in instalments:
            owed += int(r.amount_cents)
            deadline = to_date(r.due_date) + grace
            if deadline > end:
                out.append((r, None))
            else:
                out.append((r, sum(c for day, c in paid if day <= deadline) >= owed - WITHIN))
    return out


def customer_plans(conn: Connection, customer_id: str, end: dt.date) -> list[dict]:
    """A customer's plan instalments, by plan and due date: kept, late, or upcoming (its due
    date + 5 days not yet passed at T)."""
    rows = conn.execute(
        select(*PLAN_COLUMNS).where(live(PLAN), PLAN.c.customer_id == customer_id)
    ).all()
    return [
        {
            "plan_id": r.plan_id,
            "instalment": int(r.instalment),
            "due_date": to_date(r.due_date),
            "amount_eur": int(r.amount_cents) / 100,
            "invoice_id": r.invoice_id,
            "instalment_status": "upcoming" if ok is None else "kept" if ok else "late",
        }
        for r, ok in judge_plans(conn, rows, end)
    ]


def dispute_totals(conn: Connection, period: Period, selected=None) -> DisputeTotals:
    """Open at T: invoices (issued by T) with a reason record recorded by T and not resolved by
    T, with their open amounts at T (counted and summed in the database: a ledger may hold a
    hundred thousand unresolved reasons); resolution days: the median of resolved − recorded
    over the records resolved in P. A record without a recorded date counts from its
    invoice's issue date. :func:`dispute_details` adds the figures per owner."""
    t = period.end
    recorded = func.coalesce(REA.c.recorded_date, INV.c.issue_date)
    scope = REA.join(INV, and_(INV.c.invoice_id == REA.c.invoice_id, live(INV)))
    open_ids = (
        select(REA.c.invoice_id)
        .select_from(scope)
        .where(
            live(REA),
            INV.c.issue_date <= d(t),
            recorded <= d(t),
            or_(REA.c.resolved_date.is_(None), REA.c.resolved_date > d(t)),
        )
    )
    open_ids = scoped(open_ids, INV.c.customer_id, selected).distinct().subquery()
    owed = INV.c.amount_cents - _paid_by(t) - written_off_by(t)
    count, cents = conn.execute(
        select(func.count(), func.sum(case((owed > 0, owed), else_=0)))
        .select_from(INV.join(open_ids, open_ids.c.invoice_id == INV.c.invoice_id))
        .where(live(INV))
    ).one()
    resolved = conn.execute(
        scoped(
            select(recorded, REA.c.resolved_date)
            .select_from(scope)
            .where(
                live(REA),
                INV.c.issue_date <= d(t),
                recorded <= d(t),
                REA.c.resolved_date.between(d(period.start), d(t)),
            ),
            INV.c.customer_id,
            selected,
        )
    ).all()
    spans = [(to_date(res) - to_date(rec)).days for rec, res in resolved]
    median = float(statistics.median(spans)) if spans else None
    return DisputeTotals(int(count or 0), int(cents or 0), median)


def dispute_details(conn: Connection, period: Period, selected=None) -> DisputeTotals:
    """:func:`dispute_totals` with the figures per owner: open disputes and their open
    amounts, the age of the oldest open record, and the median resolution days."""
    t = period.end
    records, open_cents = _disputes(conn, period, selected)
    open_records = [r for r in records if _open_at(r, t)]
    resolved = [
        r
        for r in records
        if r.resolved_date is not None and period.start <= to_date(r.resolved_date) <= t
    ]

    def days(rs) -> float | None:
        spans = [(to_date(r.resolved_date) - to_date(r.recorded)).days for r in rs]
        return float(statistics.median(spans)) if spans else None

    # each record sorted to its owner once (a pass per owner took seconds at a million)
    opened: dict[str, list] = defaultdict(list)
    closed: dict[str, list] = defaultdict(list)
    for r in open_records:
        opened[r.owner].append(r)
    for r in resolved:
        closed[r.owner].append(r)
    by_owner: dict[str, dict] = {}
    for name in sorted({r.owner for r in records}):
        mine = opened.get(name, [])
        ids = {r.invoice_id for r in mine}
        by_owner[name] = {
            "open_invoices": len(ids),
            "open_cents": sum(open_cents[i] for i in ids),
            "oldest_days": max(((t - to_date(r.recorded)).days for r in mine), default=None),
            "resolution_days": days(closed.get(name, [])),
        }
    return DisputeTotals(len(open_cents), sum(open_cents.values()), days(resolved), by_owner)


def open_disputes(
    conn: Connection,
    end: dt.date,
    selected=None,
    owner: str | None = None,
    recorded_by: dt.date | None = None,
) -> list[dict]:
    """The reason records open at T, oldest first (ties by invoice, then reason): invoice,
    customer, reason, owner, recorded date, days open and the invoice's open amount at T
    (euros); of one ``owner`` and recorded by a day, if given."""
    recorded, where = _open_records(end, owner)
    if recorded_by is not None:
        where.append(recorded <= d(recorded_by))
    q = select(
        REA.c.invoice_id,
        INV.c.customer_id,
        REA.c.reason,
        _owner().label("owner"),
        recorded.label("recorded"),
        (INV.c.amount_cents - written_off_by(end) - _paid_by(end)).label("open_cents"),
    ).select_from(_records())
    records = conn.execute(scoped(q.where(*where), INV.c.customer_id, selected)).all()
    rows = [
        {
            "invoice_id": r.invoice_id,
            "customer_id": r.customer_id,
            "reason": r.reason,
            "owner": r.owner,
            "recorded_date": to_date(r.recorded),
            "days_open": (end - to_date(r.recorded)).days,
            "open_eur": max(0, int(r.open_cents)) / 100,
        }
        for r in records
    ]
    rows.sort(key=lambda x: (-x["days_open"], x["invoice_id"], x["reason"]))
    return rows


def oldest_open_disputes(
    conn: Connection, end: dt.date, limit: int, selected=None, owner: str | None = None
) -> tuple[list[dict], int]:
    """``open_disputes``' first ``limit`` rows (a list for a screen, not 100,000 rows sent to
    a browser), and how many are open in all. One pass reads every open record's date (the
    count, and the date of the limit-th oldest); the rows are then read up to that date, ties
    included, and cut here, where ties are ordered the same on every database."""
    recorded, where = _open_records(end, owner)
    dates = conn.execute(
        scoped(select(recorded).select_from(_records()).where(*where), INV.c.customer_id, selected)
    ).scalars()
    dates = sorted(to_date(x) for x in dates)
    if not dates:
        return [], 0
    cut = dates[min(limit, len(dates)) - 1]
    return open_disputes(conn, end, selected, owner, cut)[:limit], len(dates)


def _open_records(end: dt.date, owner: str | None) -> tuple:
    """The recorded date of a record (its invoice's issue date when it has none), and the
    conditions of a record open at T: live, its invoice issued and itself recorded by T, not
    resolved by T."""
    recorded = func.coalesce(REA.c.recorded_date, INV.c.issue_date)
    where = [
        live(REA),
        INV.c.issue_date <= d(end),
        recorded <= d(end),
        or_(REA.c.resolved_date.is_(None), REA.c.resolved_date > d(end)),
    ]
    if owner is not None:
        where.append(_owner() == owner)
    return recorded, where


def _open_at(record, t: dt.date) -> bool:
    return record.resolved_date is None or to_date(record.resolved_date) > t


def resolution_by_month(
    conn: Connection, start: dt.date, end: dt.date, selected=None
) -> list[dict]:
    """Per owner and month of resolution, the records resolved from ``start`` to ``end``: how
    many, and the median days from recorded to resolved. A month's figure is the owner's
    ``dispute_resolution_days`` for that month as a period (same records, same rule)."""
    owner, recorded = _owner(), func.coalesce(REA.c.recorded_date, INV.c.issue_date)
    q = (
        select(owner, recorded, INV.c.issue_date, REA.c.resolved_date)
        .select_from(_records())
        .where(live(REA), REA.c.resolved_date.between(d(start), d(end)))
    )
    spans: dict[tuple, list[int]] = defaultdict(list)
    for name, rec, issued, res in conn.execute(scoped(q, INV.c.customer_id, selected)):
        res, rec = to_date(res), to_date(rec)
        month = res.replace(day=1)
        last = min(month_start(month, 1) - dt.timedelta(days=1), end)
        if rec <= last and to_date(issued) <= last:  # as the period's own figure counts them
            spans[(name, month)].append((res - rec).days)
    return [
        {
            "owner": name,
            "month": month,
            "resolved": len(days),
            "resolution_days": float(statistics.median(days)),
        }
        for (name, month), days in sorted(spans.items())
    ]


def _owner():
    """A record's owner: its own, else its reason's in the taxonomy, else the fallback."""
    return func.coalesce(REA.c.owner, CODES.c.owner, FALLBACK_OWNER)


def _records():
    """Reason records with their live invoice and their reason's taxonomy row."""
    return REA.join(INV, and_(INV.c.invoice_id == REA.c.invoice_id, live(INV))).outerjoin(
        CODES, CODES.c.code == REA.c.reason
    )


def _disputes(conn: Connection, period: Period, selected=None):
    """The reason records recorded by T that are open at T or resolved in P, and the open
    amount at T (cents) of each invoice with an open one."""
    t = period.end
    owner = _owner()
    recorded = func.coalesce(REA.c.recorded_date, INV.c.issue_date)
    q = (
        select(
            REA.c.invoice_id,
            INV.c.customer_id,
            REA.c.reason,
            owner.label("owner"),
            recorded.label("recorded"),
            REA.c.resolved_date,
            INV.c.amount_cents,
            written_off_by(t).label("written_off"),
            # looked up for the open records only (lists of open invoices sent back 500 at a
            # time took 40 s for 100,000 open disputes on SQLite)
            case(
                (or_(REA.c.resolved_date.is_(None), REA.c.resolved_date > d(t)), _paid_by(t)),
                else_=0,
            ).label("paid"),
        )
        .select_from(_records())
        .where(
            live(REA),
            INV.c.issue_date <= d(t),
            recorded <= d(t),
            or_(
                REA.c.resolved_date.is_(None),
                REA.c.resolved_date > d(t),
                REA.c.resolved_date.between(d(period.start), d(t)),
            ),
        )
    )
    records = conn.execute(scoped(q, INV.c.customer_id, selected)).all()
    return records, {
        r.invoice_id: max(0, int(r.amount_cents) - int(r.written_off) - int(r.paid))
        for r in records
        if _open_at(r, t)
    }


class EventWindows:
    """Periods measured together (a trend's months, say): the promises and plans of them all
    read and judged once, on first use, or ahead in a thread of their own (``read_ahead``)."""

    def __init__(self, periods: Sequence[Period], filters: Filters):
        self.periods = list(periods)
        self.selected = selected_customers(filters)
        self._totals: dict = {}
        self._reading: threading.Thread | None = None

    def read_ahead(self, engine: Engine) -> None:
        """Read the promises and plans over a connection of their own while the caller
        computes the rest (the database's time overlaps numpy's)."""

        def read() -> None:
            with engine.connect() as conn:
                for compute in (promise_totals_of, plan_totals_of):
                    self._totals[compute] = compute(conn, self.periods, self.selected)

        self._reading = threading.Thread(target=read, name="encaisse-events", daemon=True)
        self._reading.start()

    def totals(self, conn: Connection, compute, period: Period):
        """``compute``'s figure of ``period`` (``promise_totals_of`` or ``plan_totals_of``)."""
        if self._reading is not None:
            self._reading.join()
            self._reading = None  # (a failed read is read again here, and raises here)
        if compute not in self._totals:
            self._totals[compute] = compute(conn, self.periods, self.selected)
        return self._totals[compute][self.periods.index(period)]


class EventMeasures:
    """The event figures of a ``Measures`` (its ``period`` and ``filters``), each computed once
    on first use over a connection that ``_events_connection()`` gives; with ``windows``, the
    promises and plans of all its periods at once."""

    period: Period
    filters: Filters
    windows: EventWindows | None = None

    def _events_connection(self) -> contextlib.AbstractContextManager[Connection]:
        raise NotImplementedError

    def _events(self, compute):
        with self._events_connection() as conn:
            return compute(conn, self.period, selected_customers(self.filters))

    def _of_windows(self, compute_one, compute_many):
        if self.windows is None:
            return self._events(compute_one)
        with self._events_connection() as conn:
            return self.windows.totals(conn, compute_many, self.period)

    @cached_property
    def promises(self) -> PromiseTotals:
        return self._of_windows(promise_totals, promise_totals_of)

    @cached_property
    def plans(self) -> PlanTotals:
        return self._of_windows(plan_totals, plan_totals_of)

    @cached_property
    def disputes(self) -> DisputeTotals:
        return self._events(dispute_totals)

    @property
    def dispute_resolution_days(self) -> float | None:
        return self.disputes.resolution_days

    @cached_property
    def dispute_owners(self) -> dict[str, dict]:
        return self._events(dispute_details).by_owner


@contextlib.contextmanager
def borrowed(conn: Connection) -> Iterator[Connection]:
    """A connection already open (the SQL engine's), left open afterwards."""
    yield conn
