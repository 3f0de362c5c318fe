"""The metric layer's SQL engine: the building blocks of the KPIs as aggregate queries.

``SqlMeasures`` runs a handful of aggregate queries in the database for one period and filter
(each once, on demand) and returns the typed ``measures`` the KPIs of ``registry`` read; the
columnar engine returns the same integers from arrays. Money is summed in integer cents. The
portable SQL helpers here also serve ``analytics``.
"""

from __future__ import annotations

import datetime as dt
from functools import cached_property
from typing import TYPE_CHECKING

from sqlalchemy import (
    Connection,
    Engine,
    Integer,
    String,
    and_,
    case,
    exists,
    func,
    or_,
    select,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from dashboard.core.filters import NO_FILTER, Filters
from dashboard.core.money import cents, money
from dashboard.core.periods import Period, month_start, to_date
from dashboard.core.taxonomy import FALLBACK_OWNER
from dashboard.metrics.events import EventMeasures, EventWindows, borrowed
from dashboard.metrics.measures import (
    LedgerTotals,
    PaymentTotals,
    Pools,
    Settlements,
    SurveyCounts,
    overhead_cost,
)
from dashboard.metrics.tables import (
    ACT,
    CODES,
    COST,
    CUS,
    INV,
    PAY,
    REA,
    SUR,
    d,
    live,
    selected_customers,
    written_off_by,
)

if TYPE_CHECKING:
    import pandas as pd

# --- portable SQL helpers ------------------------------------------------------------------


class days_between(FunctionElement):  # noqa: N801 - reads as a SQL function
    """Whole days from the second date to the first (``a - b``)."""

    type = Integer()
    inherit_cache = True


@compiles(days_between, "sqlite")
def _days_sqlite(element, compiler, **kw):
    a, b = list(element.clauses)
    return (
        f"CAST(julianday({compiler.process(a, **kw)}) - "
        f"julianday({compiler.process(b, **kw)}) AS INTEGER)"
    )


@compiles(days_between)
def _days_default(element, compiler, **kw):
    a, b = list(element.clauses)
    return f"({compiler.process(a, **kw)} - {compiler.process(b, **kw)})"


class year_month(FunctionElement):  # noqa: N801
    """``YYYY-MM`` of a date."""

    type = String()
    inherit_cache = True


@compiles(year_month, "sqlite")
def _ym_sqlite(element, compiler, **kw):
    return f"strftime('%Y-%m', {compiler.process(list(element.clauses)[0], **kw)})"


@compiles(year_month)
def _ym_default(element, compiler, **kw):
    return f"to_char({compiler.process(list(element.clauses)[0], **kw)}, 'YYYY-MM')"


# --- inputs --------------------------------------------------------------------------------


def data_end_date(engine: Engine) -> dt.date | None:
    """The latest invoice or payment date in the data (the default as-of date)."""
    with engine.connect() as conn:
        a = conn.execute(select(func.max(INV.c.issue_date)).where(live(INV))).scalar()
        b = conn.execute(select(func.max(PAY.c.payment_date)).where(live(PAY))).scalar()
    dates = [to_date(x) for x in (a, b) if x is not None]
    return max(dates) if dates else None


def last_open_date(engine: Engine, end: dt.date) -> dt.date | None:
    """When nothing is open at ``end`` (a fully settled ledger, such as a historical export):
    the last day before it on which something was (an invoice issued, not yet paid in full),
    where receivables, DSO and aging have something to say. None when items are open at
    ``end``, or never were."""
    items = open_items_query(end).subquery()
    still_open = exists(select(items.c.invoice_id).where(items.c.open_cents > 0))
    # the day each invoice was paid in full, beside the day it was issued
    settled = settled_invoices(end)
    paid_off = (
        select(INV.c.issue_date, settled.c.settled_on)
        .join(settled, settled.c.invoice_id == INV.c.invoice_id)
        .where(live(INV), INV.c.issue_date <= d(end))
        .subquery()
    )
    with engine.connect() as conn:
        if conn.execute(select(still_open)).scalar():
            return None
        last = conn.execute(
            select(func.max(paid_off.c.settled_on)).where(
                paid_off.c.settled_on > paid_off.c.issue_date
            )
        ).scalar()
    return None if last is None else to_date(last) - dt.timedelta(days=1)


def default_period(
    engine: Engine, start: dt.date | None = None, end: dt.date | None = None
) -> Period:
    """``end`` defaults to the latest date in the data (else today), ``start`` to end - 89 days."""
    end = end or data_end_date(engine) or dt.date.today()
    return Period(start or end - dt.timedelta(days=89), end)


# --- building blocks -----------------------------------------------------------------------


class SqlMeasures(EventMeasures):
    """The ``Measures`` of one period and filter, each queried once, on first use."""

    def _events_connection(self):
        return borrowed(self.conn)

    def __init__(
        self,
        conn: Connection,
        period: Period,
        filters: Filters = NO_FILTER,
        windows: EventWindows | None = None,
    ):
        self.conn, self.period, self.filters = conn, period, filters
        self.windows = windows
        self.selected = selected_customers(filters)

    @property
    def days(self) -> int:
        return self.period.days

    def _invoice_scope(self, q):
        q = q.where(live(INV))
        return q if self.selected is None else q.where(INV.c.customer_id.in_(self.selected))

    @cached_property
    def ledger(self) -> LedgerTotals:
        """One pass over invoices issued by T, with their completed payments up to T."""
        f, t = self.period.start, self.period.end
        pay = (
            select(
                PAY.c.invoice_id,
                func.sum(case((PAY.c.payment_date < d(f), PAY.c.amount_cents), else_=0)).label(
                    "before"
                ),
                func.sum(PAY.c.amount_cents).label("upto"),
            )
            .where(live(PAY), PAY.c.status == "completed", PAY.c.payment_date <= d(t))
            .group_by(PAY.c.invoice_id)
            .subquery()
        )
        amount = INV.c.amount_cents
        before, upto = func.coalesce(pay.c.before, 0), func.coalesce(pay.c.upto, 0)
        # a write-off leaves receivables on its date, unpaid: never collected, never recovered
        before = before + written_off_by(f - dt.timedelta(1))
        upto_open = upto + written_off_by(t)
        open_t = case((amount - upto_open > 0, amount - upto_open), else_=0)
        open_f = case((amount - before > 0, amount - before), else_=0)
        during = upto - func.coalesce(pay.c.before, 0)  # completed payments dated in P
        got = case((during < open_f, during), else_=open_f)
        due = INV.c.due_date
        issued_in_p = INV.c.issue_date >= d(f)

        def when(cond, value=1):
            return func.sum(case((cond, value), else_=0))

        cols = {
            "receivables_cents": func.sum(open_t),
            "current_cents": when(due >= d(t), open_t),
            "d1_30_cents": when(and_(due < d(t), due >= d(t - dt.timedelta(30))), open_t),
            "d31_60_cents": when(
                and_(due < d(t - dt.timedelta(30)), due >= d(t - dt.timedelta(60))), open_t
            ),
            "d61_90_cents": when(
                and_(due < d(t - dt.timedelta(60)), due >= d(t - dt.timedelta(90))), open_t
            ),
            "d90_plus_cents": when(due < d(t - dt.timedelta(90)), open_t),
            "receivables_before_cents": when(INV.c.issue_date < d(f), open_f),
            "credit_sales_cents": when(issued_in_p, amount),
            "owed_cents": when(due <= d(t), open_f),
            "got_cents": when(due <= d(t), got),
            "written_off_cents": when(
                INV.c.written_off_date.between(d(f), d(t)), INV.c.written_off_cents
            ),
            "issued_count": when(issued_in_p),
            "disputed_count": when(and_(issued_in_p, INV.c.disputed.is_(True))),
        }
        q = (
            select(*[c.label(k) for k, c in cols.items()])
            .select_from(INV.outerjoin(pay, pay.c.invoice_id == INV.c.invoice_id))
            .where(INV.c.issue_date <= d(t))
        )
        row = self.conn.execute(self._invoice_scope(q)).mappings().one()
        return LedgerTotals(**{k: cents(v) for k, v in row.items()})

    @cached_property
    def payments(self) -> PaymentTotals:
        """Payment records dated in P: completed cash, and attempts by status."""
        f, t = self.period.start, self.period.end
        completed = PAY.c.status == "completed"
        q = (
            select(
                func.sum(case((completed, PAY.c.amount_cents), else_=0)).label("collected_cents"),
                func.count().label("records"),
                func.sum(case((completed, 0), else_=1)).label("failed"),
            )
            .select_from(PAY.join(INV, and_(INV.c.invoice_id == PAY.c.invoice_id, live(INV))))
            .where(live(PAY), PAY.c.payment_date.between(d(f), d(t)))
        )
        if self.selected is not None:
            q = q.where(INV.c.customer_id.in_(self.selected))
        row = self.conn.execute(q).mappings().one()
        return PaymentTotals(**{k: cents(v) for k, v in row.items()})

    @cached_property
    def settlements(self) -> Settlements:
        """(Σ amount, Σ amount × days late) of invoices fully settled on a date in P."""
        settled = settled_invoices(self.period.end, self.selected, self.period.start)
        late = days_between(settled.c.settled_on, settled.c.due_date)
        q = select(func.sum(settled.c.amount_cents), func.sum(settled.c.amount_cents * late)).where(
            settled.c.settled_on >= d(self.period.start)
        )
        amount, weighted = self.conn.execute(q).one()
        return Settlements(cents(amount), cents(weighted))

    @cached_property
    def issued_by_month(self) -> dict[str, int]:
        """Σ amount issued per calendar month, for the 24 months up to T."""
        t = self.period.end
        first = month_start(t, -23)
        ym = year_month(INV.c.issue_date)
        q = self._invoice_scope(
            select(ym, func.sum(INV.c.amount_cents))
            .where(INV.c.issue_date.between(d(first), d(t)))
            .group_by(ym)
        )
        return {str(k): cents(v) for k, v in self.conn.execute(q)}

    @cached_property
    def has_cost_data(self) -> bool:
        lines = exists(select(COST.c.id).where(live(COST)))
        costly = exists(select(ACT.c.id).where(live(ACT), ACT.c.cost_cents > 0))
        return bool(self.conn.execute(select(or_(lines, costly))).scalar())

    @cached_property
    def action_cost_cents(self) -> int:
        f, t = self.period.start, self.period.end
        q = select(func.sum(ACT.c.cost_cents)).where(
            live(ACT), ACT.c.action_date.between(d(f), d(t))
        )
        if self.selected is not None:
            q = q.where(ACT.c.customer_id.in_(self.selected))
        return cents(self.conn.execute(q).scalar())

    @cached_property
    def overhead_cost_cents(self) -> float:
        """Cost lines prorated by the days of their month inside P; under a filter, each
        times its customers' share of the line's pool (in cents, not rounded)."""
        f, t = self.period.start, self.period.end
        q = select(COST.c.month, COST.c.amount_cents, COST.c.segment).where(
            live(COST), COST.c.month.between(f"{f:%Y-%m}", f"{t:%Y-%m}")
        )
        lines = [(str(m), cents(a), s) for m, a, s in self.conn.execute(q)]
        filtered = self.selected is not None
        return overhead_cost(lines, self.period, filtered, lambda: self.cost_pools)

    @cached_property
    def cost_pools(self) -> tuple[Pools, Pools]:
        """Per month of P and customers' segment: the selected customers' and everyone's
        collection actions (count), and completed payments (cents)."""
        first, last = month_start(self.period.start), month_start(self.period.end, 1)
        last = last - dt.timedelta(days=1)
        cus = and_(CUS.c.customer_id == ACT.c.customer_id, live(CUS))
        ym = year_month(ACT.c.action_date)
        picked = case((ACT.c.customer_id.in_(self.selected), 1), else_=0)
        acts = (
            select(ym, CUS.c.segment, func.sum(picked), func.count())
            .select_from(ACT.outerjoin(CUS, cus))
            .where(live(ACT), ACT.c.action_date.between(d(first), d(last)))
            .group_by(ym, CUS.c.segment)
        )
        cus = and_(CUS.c.customer_id == INV.c.customer_id, live(CUS))
        ym = year_month(PAY.c.payment_date)
        amount = PAY.c.amount_cents
        picked = case((INV.c.customer_id.in_(self.selected), amount), else_=0)
        pays = (
            select(ym, CUS.c.segment, func.sum(picked), func.sum(amount))
            .select_from(
                PAY.join(INV, and_(INV.c.invoice_id == PAY.c.invoice_id, live(INV))).outerjoin(
                    CUS, cus
                )
            )
            .where(
                live(PAY),
                PAY.c.status == "completed",
                PAY.c.payment_date.between(d(first), d(last)),
            )
            .group_by(ym, CUS.c.segment)
        )
        out: list[Pools] = []
        for q in (acts, pays):
            pools: Pools = {}
            for month, segment, sel, every in self.conn.execute(q):
                key = (str(month), segment)
                old = pools.get(key, (0, 0))  # NULL segments of two joins fold together
                pools[key] = (old[0] + int(sel or 0), old[1] + int(every or 0))
            out.append(pools)
        return out[0], out[1]

    @cached_property
    def surveys(self) -> SurveyCounts:
        q = survey_counts(self.period, self.selected)
        return SurveyCounts.from_row(self.conn.execute(q).mappings().one())

    def _reason_records(self):
        """Distinct (reason, owner, invoice, amount) of invoices due in P."""
        f, t = self.period.start, self.period.end
        owner = func.coalesce(REA.c.owner, CODES.c.owner, FALLBACK_OWNER)
        q = (
            select(REA.c.reason, owner.label("owner"), INV.c.invoice_id, INV.c.amount_cents)
            .select_from(
                REA.join(INV, and_(INV.c.invoice_id == REA.c.invoice_id, live(INV))).outerjoin(
                    CODES, CODES.c.code == REA.c.reason
                )
            )
            .where(live(REA), INV.c.due_date.between(d(f), d(t)))
            .distinct()
        )
        if self.selected is not None:
            q = q.where(INV.c.customer_id.in_(self.selected))
        return q.subquery()

    @cached_property
    def late_reasons(self) -> list[dict]:
        r = self._reason_records()
        q = select(r.c.reason, r.c.owner, func.count(), func.sum(r.c.amount_cents)).group_by(
            r.c.reason, r.c.owner
        )
        rows = [
            {"reason": a, "owner": b, "invoices": int(n), "amount": money(s)}
            for a, b, n, s in self.conn.execute(q)
        ]
        return sorted(rows, key=lambda x: (-x["amount"], -x["invoices"], x["reason"], x["owner"]))

    @cached_property
    def owners(self) -> list[dict]:
        r = self._reason_records()
        per_invoice = select(r.c.owner, r.c.invoice_id, r.c.amount_cents).distinct().subquery()
        q = select(
            per_invoice.c.owner, func.count(), func.sum(per_invoice.c.amount_cents)
        ).group_by(per_invoice.c.owner)
        rows = [
            {"owner": o, "invoices": int(n), "amount": money(s)} for o, n, s in self.conn.execute(q)
        ]
        return sorted(rows, key=lambda x: (-x["amount"], -x["invoices"], x["owner"]))


def settled_invoices(t: dt.date, selected=None, start: dt.date | None = None):
    """Invoices whose completed payments up to T first reach their amount (within 0.01), with
    that date as ``settled_on``, and their customer, amount and due date.

    With ``start``, only those settled on a date in [start, T]: the running sums then cover
    the payments of that window alone, carried forward from what each invoice had been paid
    before it (an invoice settled before ``start`` already had its amount then).
    """
    completed = PAY.c.status == "completed"
    if start is None:
        window = PAY.c.payment_date <= d(t)
    else:
        window = PAY.c.payment_date.between(d(start), d(t))
    running = (
        select(
            PAY.c.invoice_id,
            PAY.c.payment_date,
            func.sum(PAY.c.amount_cents)
            .over(partition_by=PAY.c.invoice_id, order_by=PAY.c.payment_date)
            .label("cumulative"),
        )
        .where(live(PAY), completed, window)
        .subquery()
    )
    reached = running.c.cumulative
    joined = INV.join(running, running.c.invoice_id == INV.c.invoice_id)
    carried = []
    if start is not None:
        earlier = PAY.alias("earlier")
        before = (
            select(earlier.c.invoice_id, func.sum(earlier.c.amount_cents).label("paid"))
            .where(
                live(earlier),
                earlier.c.status == "completed",
                earlier.c.payment_date < d(start),
                earlier.c.invoice_id.in_(
                    select(PAY.c.invoice_id).where(live(PAY), completed, window)
                ),
            )
            .group_by(earlier.c.invoice_id)
            .subquery()
        )
        paid_before = func.coalesce(before.c.paid, 0)
        reached = reached + paid_before
        joined = joined.outerjoin(before, before.c.invoice_id == INV.c.invoice_id)
        carried = [paid_before < INV.c.amount_cents - 1]
    q = (
        select(
            INV.c.invoice_id,
            INV.c.customer_id,
            INV.c.amount_cents,
            INV.c.due_date,
            func.min(running.c.payment_date).label("settled_on"),
        )
        .select_from(joined)
        .where(live(INV), reached >= INV.c.amount_cents - 1, *carried)
        .group_by(INV.c.invoice_id, INV.c.customer_id, INV.c.amount_cents, INV.c.due_date)
    )
    if selected is not None:
        q = q.where(INV.c.customer_id.in_(selected))
    return q.subquery()


def survey_counts(period: Period, selected=None, by=None):
    """The counts CSAT, NPS and CES are computed from, for answers dated in P (per ``by``)."""
    typ, score = SUR.c.survey_type, SUR.c.score

    def count(cond):
        return func.sum(case((cond, 1), else_=0))

    cols = [
        count(typ == "csat").label("csat_n"),
        count(and_(typ == "csat", score >= 4)).label("csat_ok"),
        count(typ == "nps").label("nps_n"),
        count(and_(typ == "nps", score >= 9)).label("promoters"),
        count(and_(typ == "nps", score <= 6)).label("detractors"),
        count(typ == "ces").label("ces_n"),
        func.sum(case((typ == "ces", score), else_=0)).label("ces_sum"),
    ]
    q = select(*([by.label("group")] if by is not None else []), *cols).where(
        live(SUR), SUR.c.response_date.between(d(period.start), d(period.end))
    )
    if selected is not None:
        q = q.where(SUR.c.customer_id.in_(selected))
    return q.group_by(by) if by is not None else q


def open_items_query(t: dt.date):
    """Per invoice issued by T: open amount at T (completed payments up to T)."""
    pay = (
        select(PAY.c.invoice_id, func.sum(PAY.c.amount_cents).label("paid"))
        .where(live(PAY), PAY.c.status == "completed", PAY.c.payment_date <= d(t))
        .group_by(PAY.c.invoice_id)
        .subquery()
    )
    open_ = INV.c.amount_cents - func.coalesce(pay.c.paid, 0) - written_off_by(t)
    return (
        select(
            INV.c.invoice_id,
            INV.c.customer_id,
            INV.c.issue_date,
            INV.c.due_date,
            INV.c.amount_cents,
            INV.c.disputed,
            case((open_ > 0, open_), else_=0).label("open_cents"),
            INV.c.original_currency,
            INV.c.original_amount_cents,
        )
        .select_from(INV.outerjoin(pay, pay.c.invoice_id == INV.c.invoice_id))
        .where(live(INV), INV.c.issue_date <= d(t))
    )


def _balances(end: dt.date):
    items = open_items_query(end).subquery()
    return (
        select(
            items.c.customer_id,
            func.sum(items.c.open_cents).label("open"),
            func.sum(case((items.c.due_date < d(end), items.c.open_cents), else_=0)).label(
                "overdue"
            ),
        )
        .group_by(items.c.customer_id)
        .subquery()
    )


def customer_balances(conn: Connection, end: dt.date) -> pd.DataFrame:
    """Per customer with invoices issued by T: open and overdue cents at T."""
    import pandas as pd  # only here: the `kpis` command never loads it

    bal = _balances(end)
    rows = conn.execute(select(bal.c.customer_id, bal.c.open, bal.c.overdue)).all()
    df = pd.DataFrame(rows, columns=["customer_id", "open", "overdue"])
    df[["open", "overdue"]] = df[["open", "overdue"]].fillna(0).astype("int64")
    return df


def avg_days_late_by_customer(
    conn: Connection, start: dt.date, end: dt.date, filters: Filters
) -> pd.DataFrame:
    """Per customer: Σ amount × (settlement − due) / Σ amount over its invoices fully paid on a
    day in [start, end]."""
    import pandas as pd

    settled = settled_invoices(end, selected_customers(filters), start)
    q = (
        select(
            settled.c.customer_id,
            (
                func.sum(
                    settled.c.amount_cents * days_between(settled.c.settled_on, settled.c.due_date)
                )
                * 1.0
                / func.sum(settled.c.amount_cents)
            ).label("avg_days_late"),
        )
        .where(settled.c.settled_on >= d(start))
        .group_by(settled.c.customer_id)
    )
    df = pd.DataFrame(conn.execute(q).all(), columns=["customer_id", "avg_days_late"])
    df["avg_days_late"] = pd.to_numeric(df["avg_days_late"]).astype(float)
    return df
