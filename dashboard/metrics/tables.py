"""The tables the metric layer reads, the live-row and date helpers, and the customer filter:
shared by both engines and by ``analytics`` (no engine imports another)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from sqlalchemy import (
    Connection,
    Date,
    Engine,
    Integer,
    Select,
    case,
    cast,
    func,
    literal,
    select,
)

from dashboard.core.filters import Filters
from dashboard.storage.models import (
    Action,
    Cost,
    Customer,
    Invoice,
    Payment,
    Reason,
    ReasonCode,
    Survey,
)

INV, PAY, ACT = Invoice.__table__, Payment.__table__, Action.__table__
CUS, REA, SUR, COST, CODES = (
    Customer.__table__,
    Reason.__table__,
    Survey.__table__,
    Cost.__table__,
    ReasonCode.__table__,
)


def live(table):
    return table.c.replaced_by.is_(None)


def d(value: dt.date):
    return literal(value, Date)


def written_off_by(t: dt.date):
    """An invoice's amount written off on or before T (0 without a write-off)."""
    return case(
        (INV.c.written_off_date <= d(t), func.coalesce(INV.c.written_off_cents, 0)), else_=0
    )


def selected_customers(filters: Filters | None):
    """Subquery of the customer ids a filter selects (None when nothing is filtered)."""
    if filters is None or not filters.active:
        return None
    q = select(CUS.c.customer_id).where(live(CUS))
    if filters.segments:
        q = q.where(CUS.c.segment.in_(filters.segments))
    if filters.regions:
        q = q.where(CUS.c.region.in_(filters.regions))
    if filters.collectors:
        q = q.where(CUS.c.collector.in_(filters.collectors))
    return q


def scoped(q, column, selected):
    """``q`` restricted to the customers a filter selects (``selected_customers``), matched on
    ``column``; as it is when nothing is filtered."""
    return q if selected is None else q.where(column.in_(selected))


def plain_rows(conn: Connection, query: str | Select, chunk: int = 200_000) -> Iterator[list]:
    """The rows of a query as lists of plain tuples, ``chunk`` rows at a time.

    Through the driver's own cursor on the same connection (same transaction), without the
    per-row objects of SQLAlchemy (two seconds per million rows); in chunks, so that memory
    holds one chunk of Python tuples at a time, not the table (on PostgreSQL, one chunk
    crosses the wire at a time too). A ``Select`` is compiled with its values written in.
    """
    if not isinstance(query, str):
        query = str(query.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
    driver = conn.connection.driver_connection
    # PostgreSQL: a server-side cursor, else libpq holds the whole result before the first
    # row comes out (ten million invoices: 2 GB, and the process keeps that memory)
    named = conn.dialect.name == "postgresql"
    cur = driver.cursor(name="encaisse_rows") if named else driver.cursor()
    try:
        cur.execute(query)
        while rows := cur.fetchmany(chunk):
            yield rows
    finally:
        cur.close()


def day_number(column, dialect: str):
    """A date column as days since 1970-01-01 (an integer), in the database."""
    if dialect == "sqlite":  # julianday of a date is N.5
        return cast(func.julianday(column), Integer) - 2440587
    return column - literal(dt.date(1970, 1, 1), Date)


def dimension_values(engine: Engine, dimension: str, filters: Filters | None = None) -> list[str]:
    """Segments, regions or collectors present among the customers the filter selects."""
    col = CUS.c[dimension]
    q = select(col).where(live(CUS), col.is_not(None)).distinct().order_by(col)
    selected = selected_customers(filters) if filters else None
    if selected is not None:
        q = q.where(CUS.c.customer_id.in_(selected))
    with engine.connect() as conn:
        return [r[0] for r in conn.execute(q)]


def filter_options(engine: Engine) -> dict[str, list[str]]:
    """Every segment, region and collector (the filters' choices; no pandas, for the CLI)."""
    return {k: dimension_values(engine, k) for k in ("segment", "region", "collector")}
