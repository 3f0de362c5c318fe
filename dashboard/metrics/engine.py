"""One door to the metric layer's two engines, and the KPIs of one period and filter.

``metric_engine()`` yields the columnar engine where it serves (any store but a PostgreSQL one
beyond its size line) and else the SQL engine; both implement ``MetricEngine`` and return the
same integers, so nothing above this module knows which one answered.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Protocol

from sqlalchemy import Connection, Engine

from dashboard.core.filters import NO_FILTER, Filters
from dashboard.core.money import money
from dashboard.core.periods import Period
from dashboard.metrics import columnar, sql
from dashboard.metrics.events import EventWindows
from dashboard.metrics.measures import Measures
from dashboard.metrics.registry import KPI_KEYS, METRICS
from dashboard.storage.store import reporting_currency

if TYPE_CHECKING:  # pandas loads only where a table is asked for (`kpis` never needs it)
    import pandas as pd


class MetricEngine(Protocol):
    def measures(self, period: Period, filters: Filters = NO_FILTER) -> Measures:
        """The building blocks of one period and filter."""
        ...

    def measures_of(
        self,
        periods: list[Period],
        filters: Filters = NO_FILTER,
        disputes_of: list[Period] | None = None,
    ) -> list[Measures]:
        """The building blocks of several periods (a trend's months): figures that can be
        computed for all of them at once are, on first use. ``disputes_of``: the periods whose
        open disputes will be read (default all; any other still answers, alone)."""
        ...

    def customer_balances(self, end: dt.date) -> pd.DataFrame:
        """Per customer with invoices issued by T: ``customer_id``, ``open`` and ``overdue``
        cents at T."""
        ...

    def avg_days_late_by_customer(
        self, start: dt.date, end: dt.date, filters: Filters
    ) -> pd.DataFrame:
        """Per customer with invoices settled in [start, end]: ``customer_id`` and
        ``avg_days_late`` (amount-weighted)."""
        ...


class SqlEngine:
    """Aggregate queries in the database (only aggregates cross the wire)."""

    def __init__(self, conn: Connection):
        self.conn = conn

    def measures(self, period: Period, filters: Filters = NO_FILTER) -> Measures:
        return sql.SqlMeasures(self.conn, period, filters)

    def measures_of(
        self,
        periods: list[Period],
        filters: Filters = NO_FILTER,
        disputes_of: list[Period] | None = None,
    ) -> list[Measures]:
        windows = EventWindows(periods, filters)
        return [sql.SqlMeasures(self.conn, p, filters, windows) for p in periods]

    def customer_balances(self, end: dt.date) -> pd.DataFrame:
        return sql.customer_balances(self.conn, end)

    def avg_days_late_by_customer(
        self, start: dt.date, end: dt.date, filters: Filters
    ) -> pd.DataFrame:
        return sql.avg_days_late_by_customer(self.conn, start, end, filters)


class ColumnarEngine:
    """numpy arrays of the live rows, one copy per data version."""

    def __init__(self, cols: columnar.Columns, store: Engine):
        self.cols, self.store = cols, store

    def measures(self, period: Period, filters: Filters = NO_FILTER) -> Measures:
        return columnar.ColumnarMeasures(self.cols, period, filters, self.store)

    def measures_of(
        self,
        periods: list[Period],
        filters: Filters = NO_FILTER,
        disputes_of: list[Period] | None = None,
    ) -> list[Measures]:
        windows = columnar.Windows(periods, filters, disputes_of)
        if len(periods) > 1:
            windows.read_ahead(self.store)
            windows.count_ahead(self.cols)
        return [
            columnar.ColumnarMeasures(self.cols, p, filters, self.store, windows) for p in periods
        ]

    def customer_balances(self, end: dt.date) -> pd.DataFrame:
        return columnar.balances(self.cols, end)

    def avg_days_late_by_customer(
        self, start: dt.date, end: dt.date, filters: Filters
    ) -> pd.DataFrame:
        selection = self.cols.selection(filters.segments, filters.regions, filters.collectors)
        return columnar.avg_days_late_by_customer(self.cols, start, end, selection)


@contextmanager
def metric_engine(engine: Engine, choice: str | None = None) -> Iterator[MetricEngine]:
    """The engine that serves this store; ``choice`` ("sql" or "columnar") forces one, as
    ``ENCAISSE_ENGINE`` does."""
    cols = columnar.columns_for(engine, choice)
    if cols is not None:
        yield ColumnarEngine(cols, engine)
        return
    with engine.connect() as conn:
        yield SqlEngine(conn)


def last_open_date(engine: Engine, end: dt.date) -> dt.date | None:
    """``sql.last_open_date``, the metric engine asked first whether anything is open at
    ``end`` (the usual answer, yes: then one day of the columnar copy, not an aggregate of the
    whole ledger in the database, 1.5 s at a million invoices on SQLite)."""
    with metric_engine(engine) as eng:
        if eng.measures(Period(end, end)).ledger.receivables_cents > 0:
            return None
    return sql.last_open_date(engine, end)


def kpis(
    engine: Engine, period: Period, filters: Filters = NO_FILTER, choice: str | None = None
) -> dict:
    """All KPIs of one period and filter, with exactly the keys of ``encaisse kpis --json``."""
    currency = reporting_currency(engine)
    with metric_engine(engine, choice) as eng:
        return kpis_of(eng.measures(period, filters), currency)


def kpis_of(s: Measures, currency: str) -> dict:
    """The KPIs of one ``Measures``, keyed and ordered as ``encaisse kpis --json`` (SPEC)."""
    out: dict = {"from": s.period.start.isoformat(), "to": s.period.end.isoformat()}
    out["currency"] = currency
    out.update({name: m.compute(s) for name, m in METRICS.items()})
    out["disputes_open"] = {
        "invoices": s.disputes.open_invoices,
        "amount": money(s.disputes.open_cents),
    }
    out["survey_responses"] = {
        "csat": s.surveys.csat_n,
        "nps": s.surveys.nps_n,
        "ces": s.surveys.ces_n,
    }
    out["aging"] = {b: money(v) for b, v in s.ledger.aging_cents().items()}
    out["late_reasons"] = s.late_reasons
    out["owners"] = s.owners
    return {key: out[key] for key in KPI_KEYS}  # SPEC's order
