"""The tables the metric layer reads, the live-row and date helpers, and the customer filter:
shared by both engines and by ``analytics`` (no engine imports another)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, case, func, literal, select

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
