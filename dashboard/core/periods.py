"""Reporting periods and calendar helpers."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


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

    def a_year_earlier(self) -> Period:
        """The same dates one year before (a 29 February becomes the 28th)."""
        return Period(_year_before(self.start), _year_before(self.end))


def _year_before(day: dt.date) -> dt.date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def to_date(value) -> dt.date:
    """A date from a date, a datetime or an ISO string (as databases return them)."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def month_start(day: dt.date, shift: int = 0) -> dt.date:
    """First day of the month ``shift`` months from ``day``'s month."""
    index = day.year * 12 + day.month - 1 + shift
    return dt.date(index // 12, index % 12 + 1, 1)


def months_back(end: dt.date, months: int) -> list[Period]:
    """The ``months`` calendar months up to ``end``, oldest first; the last ends at ``end``."""
    out = []
    for k in range(months - 1, -1, -1):
        start = month_start(end, -k)
        last = month_start(end, -k + 1) - dt.timedelta(days=1)
        out.append(Period(start, min(last, end)))
    return out
