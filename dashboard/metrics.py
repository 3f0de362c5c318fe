"""The metric layer: every KPI of SPEC.md section 3, defined once.

A snapshot gives the building blocks of one period and one filter (each once, on demand): the
SQL ``Snapshot`` here runs a handful of aggregate queries in the database, the columnar one
(``dashboard.columnar``) computes the same integers from arrays; ``snapshots()`` picks one.
Each KPI is a small function of the snapshot, registered in ``METRICS``
with its unit, its direction (is up good?) and its formula, which is its docstring and what the
dashboard shows on hover. Money is summed in integer cents and converted at the edge, so totals
reconcile with the ledger to the cent. A ratio over zero is ``None``.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property

from sqlalchemy import (
    Connection,
    Date,
    Engine,
    Integer,
    String,
    and_,
    case,
    func,
    literal,
    select,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from dashboard.models import Action, Cost, Customer, Invoice, Payment, Reason, ReasonCode, Survey
from dashboard.store import reporting_currency

INV, PAY, ACT = Invoice.__table__, Payment.__table__, Action.__table__
CUS, REA, SUR, COST, CODES = (Customer.__table__, Reason.__table__, Survey.__table__,
                              Cost.__table__, ReasonCode.__table__)
FALLBACK_OWNER = "Credit & Collections"
AGING_BUCKETS = ("current", "d1_30", "d31_60", "d61_90", "d90_plus")


# --- portable SQL helpers ------------------------------------------------------------------

class days_between(FunctionElement):  # noqa: N801 - reads as a SQL function
    """Whole days from the second date to the first (``a - b``)."""

    type = Integer()
    inherit_cache = True


@compiles(days_between, "sqlite")
def _days_sqlite(element, compiler, **kw):
    a, b = list(element.clauses)
    return (f"CAST(julianday({compiler.process(a, **kw)}) - "
            f"julianday({compiler.process(b, **kw)}) AS INTEGER)")


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


def live(table):
    return table.c.replaced_by.is_(None)


def d(value: dt.date):
    return literal(value, Date)


def ratio(num: float | int | None, den: float | int | None) -> float | None:
    if num is None or not den:
        return None
    return num / den


def cents(value) -> int:
    return int(value or 0)


# --- inputs --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Filters:
    """Restrict every figure to the customers of these segments, regions and collectors."""

    segments: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    collectors: tuple[str, ...] = ()

    @property
    def active(self) -> bool:
        return bool(self.segments or self.regions or self.collectors)

    def customers(self):
        """Subquery of the selected customer ids (None when nothing is filtered)."""
        if not self.active:
            return None
        q = select(CUS.c.customer_id).where(live(CUS))
        if self.segments:
            q = q.where(CUS.c.segment.in_(self.segments))
        if self.regions:
            q = q.where(CUS.c.region.in_(self.regions))
        if self.collectors:
            q = q.where(CUS.c.collector.in_(self.collectors))
        return q


@dataclass(frozen=True)
class Period:
    """P = [start, end], both inclusive; ``end`` is the as-of date T."""

    start: dt.date
    end: dt.date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Period:
        """The period of equal length just before this one."""
        return Period(self.start - dt.timedelta(days=self.days), self.start - dt.timedelta(days=1))


def data_end_date(engine: Engine) -> dt.date | None:
    """The latest invoice or payment date in the data (the default as-of date)."""
    with engine.connect() as conn:
        a = conn.execute(select(func.max(INV.c.issue_date)).where(live(INV))).scalar()
        b = conn.execute(select(func.max(PAY.c.payment_date)).where(live(PAY))).scalar()
    dates = [to_date(x) for x in (a, b) if x is not None]
    return max(dates) if dates else None


def default_period(engine: Engine, start: dt.date | None = None,
                   end: dt.date | None = None) -> Period:
    """``end`` defaults to the latest date in the data (else today), ``start`` to end - 89 days."""
    end = end or data_end_date(engine) or dt.date.today()
    return Period(start or end - dt.timedelta(days=89), end)


def to_date(value) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


# --- building blocks -----------------------------------------------------------------------

class Snapshot:
    """The aggregates one period and one filter need, each queried once, on first use."""

    def __init__(self, conn: Connection, period: Period, filters: Filters = Filters()):
        self.conn, self.period, self.filters = conn, period, filters
        self.selected = filters.customers()

    @property
    def days(self) -> int:
        return self.period.days

    def _invoice_scope(self, q):
        q = q.where(live(INV))
        return q if self.selected is None else q.where(INV.c.customer_id.in_(self.selected))

    @cached_property
    def ledger(self) -> dict[str, int]:
        """One pass over invoices issued by T, with their completed payments up to T."""
        f, t = self.period.start, self.period.end
        pay = (select(PAY.c.invoice_id,
                      func.sum(case((PAY.c.payment_date < d(f), PAY.c.amount_cents), else_=0))
                      .label("before"),
                      func.sum(PAY.c.amount_cents).label("upto"))
               .where(live(PAY), PAY.c.status == "completed", PAY.c.payment_date <= d(t))
               .group_by(PAY.c.invoice_id).subquery())
        amount = INV.c.amount_cents
        before, upto = func.coalesce(pay.c.before, 0), func.coalesce(pay.c.upto, 0)
        open_t = case((amount - upto > 0, amount - upto), else_=0)
        open_f = case((amount - before > 0, amount - before), else_=0)
        during = upto - before
        got = case((during < open_f, during), else_=open_f)
        due = INV.c.due_date
        issued_in_p = INV.c.issue_date >= d(f)

        def when(cond, value=1):
            return func.sum(case((cond, value), else_=0))

        cols = {
            "receivables": func.sum(open_t),
            "current": when(due >= d(t), open_t),
            "d1_30": when(and_(due < d(t), due >= d(t - dt.timedelta(30))), open_t),
            "d31_60": when(and_(due < d(t - dt.timedelta(30)), due >= d(t - dt.timedelta(60))),
                           open_t),
            "d61_90": when(and_(due < d(t - dt.timedelta(60)), due >= d(t - dt.timedelta(90))),
                           open_t),
            "d90_plus": when(due < d(t - dt.timedelta(90)), open_t),
            "receivables_before": when(INV.c.issue_date < d(f), open_f),
            "credit_sales": when(issued_in_p, amount),
            "owed": when(due <= d(t), open_f),
            "got": when(due <= d(t), got),
            "issued_count": when(issued_in_p),
            "disputed_count": when(and_(issued_in_p, INV.c.disputed.is_(True))),
        }
        q = (select(*[c.label(k) for k, c in cols.items()])
             .select_from(INV.outerjoin(pay, pay.c.invoice_id == INV.c.invoice_id))
             .where(INV.c.issue_date <= d(t)))
        row = self.conn.execute(self._invoice_scope(q)).mappings().one()
        return {k: cents(v) for k, v in row.items()}

    @cached_property
    def payments(self) -> dict[str, int]:
        """Payment records dated in P: completed cash, and attempts by status."""
        f, t = self.period.start, self.period.end
        completed = PAY.c.status == "completed"
        q = (select(func.sum(case((completed, PAY.c.amount_cents), else_=0)).label("collected"),
                    func.count().label("records"),
                    func.sum(case((completed, 0), else_=1)).label("failed"))
             .select_from(PAY.join(INV, and_(INV.c.invoice_id == PAY.c.invoice_id, live(INV))))
             .where(live(PAY), PAY.c.payment_date.between(d(f), d(t))))
        if self.selected is not None:
            q = q.where(INV.c.customer_id.in_(self.selected))
        return {k: cents(v) for k, v in self.conn.execute(q).mappings().one().items()}

    @cached_property
    def settlements(self) -> tuple[int, int]:
        """(Σ amount, Σ amount × days late) of invoices fully settled on a date in P."""
        settled = settled_invoices(self.period.end, self.selected, self.period.start)
        late = days_between(settled.c.settled_on, settled.c.due_date)
        q = (select(func.sum(settled.c.amount_cents), func.sum(settled.c.amount_cents * late))
             .where(settled.c.settled_on >= d(self.period.start)))
        amount, weighted = self.conn.execute(q).one()
        return cents(amount), cents(weighted)

    @cached_property
    def issued_by_month(self) -> dict[str, int]:
        """Σ amount issued per calendar month, for the 24 months up to T."""
        t = self.period.end
        first = month_start(t, -23)
        ym = year_month(INV.c.issue_date)
        q = self._invoice_scope(select(ym, func.sum(INV.c.amount_cents))
                                .where(INV.c.issue_date.between(d(first), d(t))).group_by(ym))
        return {str(k): cents(v) for k, v in self.conn.execute(q)}

    @cached_property
    def action_cost(self) -> int:
        f, t = self.period.start, self.period.end
        q = select(func.sum(ACT.c.cost_cents)).where(live(ACT), ACT.c.action_date.between(
            d(f), d(t)))
        if self.selected is not None:
            q = q.where(ACT.c.customer_id.in_(self.selected))
        return cents(self.conn.execute(q).scalar())

    @cached_property
    def overhead_cost(self) -> float:
        """Cost lines prorated by the days of their month inside P (in cents, not rounded)."""
        f, t = self.period.start, self.period.end
        q = (select(COST.c.month, func.sum(COST.c.amount_cents)).where(
            live(COST), COST.c.month.between(f"{f:%Y-%m}", f"{t:%Y-%m}")).group_by(COST.c.month))
        if self.filters.segments:
            q = q.where(COST.c.segment.in_(self.filters.segments))
        return prorated_cost(self.conn.execute(q).all(), self.period)

    @cached_property
    def surveys(self) -> dict[str, int]:
        q = survey_counts(self.period, self.selected)
        return {k: cents(v) for k, v in self.conn.execute(q).mappings().one().items()}

    def _reason_records(self):
        """Distinct (reason, owner, invoice, amount) of invoices due in P."""
        f, t = self.period.start, self.period.end
        owner = func.coalesce(REA.c.owner, CODES.c.owner, FALLBACK_OWNER)
        q = (select(REA.c.reason, owner.label("owner"), INV.c.invoice_id, INV.c.amount_cents)
             .select_from(REA.join(INV, and_(INV.c.invoice_id == REA.c.invoice_id, live(INV)))
                          .outerjoin(CODES, CODES.c.code == REA.c.reason))
             .where(live(REA), INV.c.due_date.between(d(f), d(t))).distinct())
        if self.selected is not None:
            q = q.where(INV.c.customer_id.in_(self.selected))
        return q.subquery()

    @cached_property
    def late_reasons(self) -> list[dict]:
        r = self._reason_records()
        q = (select(r.c.reason, r.c.owner, func.count(), func.sum(r.c.amount_cents))
             .group_by(r.c.reason, r.c.owner))
        rows = [{"reason": a, "owner": b, "invoices": int(n), "amount": money(s)}
                for a, b, n, s in self.conn.execute(q)]
        return sorted(rows, key=lambda x: (-x["amount"], -x["invoices"], x["reason"], x["owner"]))

    @cached_property
    def owners(self) -> list[dict]:
        r = self._reason_records()
        per_invoice = select(r.c.owner, r.c.invoice_id, r.c.amount_cents).distinct().subquery()
        q = (select(per_invoice.c.owner, func.count(), func.sum(per_invoice.c.amount_cents))
             .group_by(per_invoice.c.owner))
        rows = [{"owner": o, "invoices": int(n), "amount": money(s)}
                for o, n, s in self.conn.execute(q)]
        return sorted(rows, key=lambda x: (-x["amount"], -x["invoices"], x["owner"]))


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
    running = (select(PAY.c.invoice_id, PAY.c.payment_date,
                      func.sum(PAY.c.amount_cents).over(
                          partition_by=PAY.c.invoice_id, order_by=PAY.c.payment_date)
                      .label("cumulative"))
               .where(live(PAY), completed, window).subquery())
    reached = running.c.cumulative
    joined = INV.join(running, running.c.invoice_id == INV.c.invoice_id)
    carried = []
    if start is not None:
        earlier = PAY.alias("earlier")
        before = (select(earlier.c.invoice_id, func.sum(earlier.c.amount_cents).label("paid"))
                  .where(live(earlier), earlier.c.status == "completed",
                         earlier.c.payment_date < d(start),
                         earlier.c.invoice_id.in_(
                             select(PAY.c.invoice_id).where(live(PAY), completed, window)))
                  .group_by(earlier.c.invoice_id).subquery())
        paid_before = func.coalesce(before.c.paid, 0)
        reached = reached + paid_before
        joined = joined.outerjoin(before, before.c.invoice_id == INV.c.invoice_id)
        carried = [paid_before < INV.c.amount_cents - 1]
    q = (select(INV.c.invoice_id, INV.c.customer_id, INV.c.amount_cents, INV.c.due_date,
                func.min(running.c.payment_date).label("settled_on"))
         .select_from(joined)
         .where(live(INV), reached >= INV.c.amount_cents - 1, *carried)
         .group_by(INV.c.invoice_id, INV.c.customer_id, INV.c.amount_cents, INV.c.due_date))
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
        live(SUR), SUR.c.response_date.between(d(period.start), d(period.end)))
    if selected is not None:
        q = q.where(SUR.c.customer_id.in_(selected))
    return q.group_by(by) if by is not None else q


def month_start(day: dt.date, shift: int = 0) -> dt.date:
    """First day of the month ``shift`` months from ``day``'s month."""
    index = day.year * 12 + day.month - 1 + shift
    return dt.date(index // 12, index % 12 + 1, 1)


def money(value_cents) -> float:
    return round(cents(value_cents) / 100, 2)


# --- the KPIs ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Metric:
    name: str
    label: str
    unit: str  # "EUR" (reporting currency), "days", "%", "score"
    better: str  # "up", "down" or "none"
    compute: Callable[[Snapshot], float | None]

    @property
    def formula(self) -> str:
        return " ".join((self.compute.__doc__ or "").split())


METRICS: dict[str, Metric] = {}


def metric(name: str, label: str, unit: str, better: str = "none"):
    def register(fn: Callable[[Snapshot], float | None]):
        METRICS[name] = Metric(name, label, unit, better, fn)
        return fn
    return register


@metric("receivables", "Receivables", "EUR", "none")
def receivables(s: Snapshot) -> float:
    """receivables(T) = Σ over invoices issued by T of max(0, amount − completed payments ≤ T)."""
    return money(s.ledger["receivables"])


@metric("current", "Current (not yet due)", "EUR")
def current(s: Snapshot) -> float:
    """current(T) = the part of receivables(T) with due_date ≥ T."""
    return money(s.ledger["current"])


@metric("overdue", "Overdue", "EUR", "down")
def overdue(s: Snapshot) -> float:
    """overdue(T) = the part of receivables(T) with due_date < T."""
    return money(s.ledger["receivables"] - s.ledger["current"])


@metric("overdue_pct", "Overdue share", "%", "down")
def overdue_pct(s: Snapshot) -> float | None:
    """overdue % = 100 × overdue(T) / receivables(T)."""
    r = ratio(s.ledger["receivables"] - s.ledger["current"], s.ledger["receivables"])
    return None if r is None else 100 * r


@metric("credit_sales", "Credit sales", "EUR", "up")
def credit_sales(s: Snapshot) -> float:
    """credit_sales = Σ amount of invoices with issue_date in P."""
    return money(s.ledger["credit_sales"])


@metric("collected", "Collected", "EUR", "up")
def collected(s: Snapshot) -> float:
    """collected = Σ completed payments dated in P."""
    return money(s.payments["collected"])


@metric("dso", "DSO", "days", "down")
def dso(s: Snapshot) -> float | None:
    """DSO = receivables(T) / credit_sales × days(P)."""
    r = ratio(s.ledger["receivables"], s.ledger["credit_sales"])
    return None if r is None else r * s.days


@metric("dso_countback", "DSO (countback)", "days", "down")
def dso_countback(s: Snapshot) -> float | None:
    """Countback DSO: walk back month by month from T (month 0 = 1st of T's month to T), \
adding each month's days while receivables(T) exceed that month's credit sales and subtracting \
them; the month that covers the rest adds days × rest / its sales; over 24 months at most."""
    rest = s.ledger["receivables"]
    if rest == 0:
        return 0.0
    t = s.period.end
    days = 0.0
    for k in range(24):
        start = month_start(t, -k)
        length = t.day if k == 0 else calendar.monthrange(start.year, start.month)[1]
        sales = s.issued_by_month.get(f"{start:%Y-%m}", 0)
        if sales == 0:
            days += length
        elif rest > sales:
            days += length
            rest -= sales
        else:
            return days + length * rest / sales
    return days


@metric("best_possible_dso", "Best possible DSO", "days", "down")
def best_possible_dso(s: Snapshot) -> float | None:
    """Best possible DSO = current(T) / credit_sales × days(P)."""
    r = ratio(s.ledger["current"], s.ledger["credit_sales"])
    return None if r is None else r * s.days


@metric("add", "Average days delinquent", "days", "down")
def add(s: Snapshot) -> float | None:
    """ADD = DSO − best possible DSO."""
    a, b = dso(s), best_possible_dso(s)
    return None if a is None or b is None else a - b


@metric("cei", "Collection effectiveness (CEI)", "%", "up")
def cei(s: Snapshot) -> float | None:
    """CEI = 100 × (receivables(F−1) + credit_sales − receivables(T)) / \
(receivables(F−1) + credit_sales − current(T))."""
    led = s.ledger
    base = led["receivables_before"] + led["credit_sales"]
    r = ratio(base - led["receivables"], base - led["current"])
    return None if r is None else 100 * r


@metric("recovery_rate", "Recovery rate", "%", "up")
def recovery_rate(s: Snapshot) -> float | None:
    """Recovery rate = 100 × Σ got / Σ owed over invoices due by T, where owed = amount still \
open at F−1 and got = min(owed, completed payments dated in P)."""
    r = ratio(s.ledger["got"], s.ledger["owed"])
    return None if r is None else 100 * r


@metric("avg_days_late", "Average days late", "days", "down")
def avg_days_late(s: Snapshot) -> float | None:
    """Average days late = Σ amount × (settlement date − due date) / Σ amount, over invoices \
fully paid (within 0.01) on a date in P; early payment counts negative."""
    amount, weighted = s.settlements
    return ratio(weighted, amount)


@metric("collection_cost", "Collection cost", "EUR", "down")
def collection_cost(s: Snapshot) -> float:
    """Collection cost = Σ cost of actions dated in P + Σ cost lines × (days of their month in \
P) / (days in their month); with a segment filter, only cost lines of a selected segment."""
    return round((s.action_cost + s.overhead_cost) / 100, 2)


@metric("cost_to_collect", "Cost to collect", "%", "down")
def cost_to_collect(s: Snapshot) -> float | None:
    """Cost to collect = 100 × collection cost / collected."""
    r = ratio(s.action_cost + s.overhead_cost, s.payments["collected"])
    return None if r is None else 100 * r


@metric("dispute_rate", "Dispute rate", "%", "down")
def dispute_rate(s: Snapshot) -> float | None:
    """Dispute rate = 100 × disputed invoices issued in P / invoices issued in P."""
    r = ratio(s.ledger["disputed_count"], s.ledger["issued_count"])
    return None if r is None else 100 * r


@metric("payment_failure_rate", "Payment failure rate", "%", "down")
def payment_failure_rate(s: Snapshot) -> float | None:
    """Payment failure rate = 100 × payment records dated in P that failed, were incomplete or \
had an input error / all payment records dated in P."""
    r = ratio(s.payments["failed"], s.payments["records"])
    return None if r is None else 100 * r


@metric("csat", "CSAT", "%", "up")
def csat(s: Snapshot) -> float | None:
    """CSAT = 100 × CSAT answers scoring 4 or 5 / CSAT answers, dated in P."""
    r = ratio(s.surveys["csat_ok"], s.surveys["csat_n"])
    return None if r is None else 100 * r


@metric("nps", "NPS", "score", "up")
def nps(s: Snapshot) -> float | None:
    """NPS = 100 × (promoters scoring 9–10 − detractors scoring 0–6) / NPS answers, dated in P."""
    r = ratio(s.surveys["promoters"] - s.surveys["detractors"], s.surveys["nps_n"])
    return None if r is None else 100 * r


@metric("ces", "CES", "score", "down")
def ces(s: Snapshot) -> float | None:
    """CES = mean customer effort score (1–7), answers dated in P."""
    return ratio(s.surveys["ces_sum"], s.surveys["ces_n"])


KPI_KEYS = ("from", "to", "currency", "receivables", "current", "overdue", "overdue_pct",
            "credit_sales", "collected", "dso", "dso_countback", "best_possible_dso", "add",
            "cei", "recovery_rate", "avg_days_late", "collection_cost", "cost_to_collect",
            "dispute_rate", "payment_failure_rate", "csat", "nps", "ces", "survey_responses",
            "aging", "late_reasons", "owners")


@contextmanager
def snapshots(engine: Engine, choice: str | None = None):
    """Yield ``make(period, filters)``, which gives the building blocks of one snapshot.

    They come from the columnar engine (``dashboard.columnar``) where it serves (any store
    but a PostgreSQL one beyond its size line), else from SQL in the database; both return the
    same integers. ``choice`` ("sql" or "columnar") forces one, as ``ENCAISSE_ENGINE`` does.
    """
    from dashboard import columnar

    cols = columnar.columns_for(engine, choice)
    if cols is not None:
        yield lambda period, filters=Filters(): columnar.ColumnarSnapshot(cols, period, filters)
        return
    with engine.connect() as conn:
        yield lambda period, filters=Filters(): Snapshot(conn, period, filters)


def kpis(engine: Engine, period: Period, filters: Filters = Filters(),
         choice: str | None = None) -> dict:
    """All KPIs of one period and filter, with exactly the keys of ``encaisse kpis --json``."""
    currency = reporting_currency(engine)
    with snapshots(engine, choice) as snapshot:
        s = snapshot(period, filters)
        out: dict = {"from": period.start.isoformat(), "to": period.end.isoformat(),
                     "currency": currency}
        for name in KPI_KEYS[3:23]:
            out[name] = METRICS[name].compute(s)
        out["survey_responses"] = {"csat": s.surveys["csat_n"], "nps": s.surveys["nps_n"],
                                   "ces": s.surveys["ces_n"]}
        out["aging"] = {b: money(s.ledger[b]) for b in AGING_BUCKETS}
        out["late_reasons"] = s.late_reasons
        out["owners"] = s.owners
    return out
