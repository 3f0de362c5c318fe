"""Money in integer cents, converted to currency units only at the edge; ratios that are
undefined (``None``) over zero."""

from __future__ import annotations


def cents(value) -> int:
    """An integer number of cents from a database aggregate (``None`` is 0)."""
    return int(value or 0)


def money(value_cents) -> float:
    """Cents to currency units, rounded to the cent."""
    return round(cents(value_cents) / 100, 2)


def ratio(num: float | int | None, den: float | int | None) -> float | None:
    """``num / den``, or ``None`` when either is missing or the denominator is 0."""
    if num is None or not den:
        return None
    return num / den
