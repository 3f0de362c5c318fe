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
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine, Select, select

from dashboard.core.money import money
from dashboard.metrics.tables import CUS, INV, PAY, d, day_number, live, plain_rows
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


@dataclass(frozen=True)
class Exposure:
    """The penalties at T as arrays: the business and public customers' invoices due before T
    (``ids``, ``who``, ``issue`` and ``due`` day numbers), and of them the late ones (positions
    ``late``, their penalties in whole cents ``claims``, the last day counted ``last``) and
    those whose terms exceed the legal caps (positions ``over_cap``)."""

    as_of: dt.date
    source: str
    ids: np.ndarray | None  # None: read without them (``exposure``'s ``invoice_ids``)
    who: np.ndarray
    issue: np.ndarray
    due: np.ndarray
    late: np.ndarray
    claims: np.ndarray
    last: np.ndarray
    over_cap: np.ndarray


def exposure(
    engine: Engine, as_of: dt.date, rate_pct: float | None = None, invoice_ids: bool = True
) -> Exposure:
    """Each invoice's penalty at T (``penalties``' figures, before they are written out).
    Without ``invoice_ids`` (the figures per customer), read from the columnar copy where
    there is one: its ``ids`` are then None."""
    if rate_pct is None:
        setting = store.get_setting(engine, "penalty_rate_pct")
        rate_pct = float(setting) if setting not in (None, "") else None
    rates = ecb_rates(engine)
    source = (
        f"contract rate {rate_pct:g}%"
        if rate_pct is not None
        else "legal rate: ECB main refinancing rate of 1 January or 1 July + 10 points"
    )
    daily = _daily_rates(rates, rate_pct)
    if not invoice_ids:
        found = _from_columns(engine, as_of, daily)
        if found is not None:
            return Exposure(as_of, source, None, *found)
    with engine.connect() as conn:
        dialect = conn.dialect.name
        invoices = _rows(
            conn,
            select(
                INV.c.invoice_id,
                INV.c.customer_id,
                day_number(INV.c.issue_date, dialect),
                day_number(INV.c.due_date, dialect),
                INV.c.amount_cents,
            ).where(live(INV), INV.c.issue_date <= d(as_of), INV.c.due_date < d(as_of)),
        )
        consumers = _consumers(conn)
        payments = _rows(
            conn,
            select(
                PAY.c.invoice_id, day_number(PAY.c.payment_date, dialect), PAY.c.amount_cents
            ).where(live(PAY), PAY.c.status == "completed", PAY.c.payment_date <= d(as_of)),
        )
    business = consumers.get_indexer(invoices[1]) < 0 if len(consumers) else slice(None)
    ids, who = (np.asarray(c, dtype=object)[business] for c in invoices[:2])
    issue, due, amount = (np.asarray(c, dtype=np.int64)[business] for c in invoices[2:])
    # each payment's invoice among these (-1: a consumer's, or not yet due)
    where = pd.Index(ids).get_indexer(payments[0]) if len(ids) else np.full(len(payments[0]), -1)
    paid = (where, np.asarray(payments[1], dtype=np.int64), np.asarray(payments[2], np.int64))
    late, claims, last = _accrued(amount, due, paid, _day(as_of), daily)
    over_cap = np.flatnonzero(due > _cap_days(issue))
    return Exposure(as_of, source, ids, who, issue, due, late, claims, last, over_cap)


def _from_columns(engine: Engine, as_of: dt.date, daily) -> tuple | None:
    """``exposure``'s arrays but the invoice ids, from the columnar copy (the same invoices
    and completed payments as the SQL reads, by position instead of id); None where there is
    no copy, or where an invoice's customer is not in the customers table (its id is then
    in the invoices table alone)."""
    from dashboard.metrics import columnar

    cols = columnar.columns_for(engine)
    if cols is None:
        return None
    t = _day(as_of)
    n = columnar.after(cols.inv_issue, t)  # issued by T (the copy is in issue order)
    if not cols.customers_known(n):
        return None
    cust, labels = cols.inv_cust[:n], cols.labels["customer_id"]
    with engine.connect() as conn:
        consumers = _consumers(conn)
    b2c = np.zeros(len(labels), dtype=bool)
    b2c[consumers.get_indexer(pd.Index(labels)) >= 0] = True
    chosen = np.flatnonzero((cols.inv_due[:n] < t) & ~b2c[cust])
    who = np.asarray(labels, dtype=object)[cust[chosen]]
    issue, due, amount = (
        a[chosen].astype(np.int64) for a in (cols.inv_issue, cols.inv_due, cols.inv_amount)
    )
    k = columnar.after(cols.cp_day, t)  # completed payments dated by T
    position = np.full(n + 1, -1, dtype=np.int64)  # (n: a payment of an invoice issued after T)
    position[chosen] = np.arange(len(chosen))
    where = position[np.minimum(cols.cp_inv[:k], n)]
    paid = (where, cols.cp_day[:k].astype(np.int64), cols.cp_amount[:k].astype(np.int64))
    late, claims, last = _accrued(amount, due, paid, t, daily)
    over_cap = np.flatnonzero(due > _cap_days(issue))
    return who, issue, due, late, claims, last, over_cap


def _consumers(conn: Connection) -> pd.Index:
    """The consumers' customer ids: the law is for business and public buyers (a customer
    not in the table counts as a business)."""
    ids = conn.execute(select(CUS.c.customer_id).where(live(CUS), CUS.c.customer_type == "b2c"))
    return pd.Index(list(ids.scalars()))


def _rows(conn: Connection, query: Select) -> list[list]:
    """A query's columns as lists, read plainly."""
    columns: list[list] = [[] for _ in query.selected_columns]
    for rows in plain_rows(conn, query):
        for i, column in enumerate(columns):
            column.extend([r[i] for r in rows])
    return columns


def penalties(engine: Engine, as_of: dt.date, rate_pct: float | None = None) -> dict:
    """SPEC's ``penalties --json``: per invoice of a business or public customer with at least
    one day late at T, the penalty accrued day by day on what was unpaid that day, from the day
    after its due date to its settlement or T, and the 40 € indemnity; totals per customer and
    in all; the invoices whose terms exceed the legal caps."""
    e = exposure(engine, as_of, rate_pct)
    ids, who = e.ids.tolist(), e.who.tolist()
    late, claims, days = e.late.tolist(), e.claims.tolist(), (e.last - e.due[e.late]).tolist()
    # the largest penalties first, ties by invoice id
    order = sorted(range(len(late)), key=lambda k: (-claims[k], ids[late[k]]))
    rows = [
        {
            "invoice_id": ids[late[k]],
            "customer_id": who[late[k]],
            "days_late": days[k],
            "penalty": money(claims[k]),
            "indemnity": money(INDEMNITY_CENTS),
        }
        for k in order
    ]
    return {
        "as_of": as_of.isoformat(),
        "rate_source": e.source,
        "invoices": rows,
        "customers": [
            {"customer_id": c, "penalty": money(p), "indemnity": money(n * INDEMNITY_CENTS)}
            for c, p, n in per_customer(e)
        ],
        "total_penalty": money(int(e.claims.sum())),
        "total_indemnity": money(INDEMNITY_CENTS * len(rows)),
        "terms_over_cap": sorted(
            (
                {
                    "invoice_id": ids[i],
                    "customer_id": who[i],
                    "issue_date": _date(e.issue[i]).isoformat(),
                    "due_date": _date(e.due[i]).isoformat(),
                    "terms_days": int(e.due[i] - e.issue[i]),
                }
                for i in e.over_cap
            ),
            key=lambda r: (r["customer_id"], r["invoice_id"]),
        ),
    }


def per_customer(e: Exposure) -> list[tuple[str, int, int]]:
    """Per customer with a late invoice: its penalties in cents and its late invoices, the
    largest penalties first."""
    sums = (
        pd.DataFrame({"who": e.who[e.late], "claim": e.claims})
        .groupby("who", sort=True, dropna=False)["claim"]
        .agg(["sum", "size"])
        .sort_values("sum", ascending=False, kind="stable")  # ties by customer id
    )
    return [
        (c, int(p), int(n))
        for c, p, n in zip(sums.index, sums["sum"].tolist(), sums["size"].tolist(), strict=True)
    ]


EPOCH = dt.date(1970, 1, 1)


def _day(value: dt.date) -> int:
    return (value - EPOCH).days


def _date(day_number) -> dt.date:
    return EPOCH + dt.timedelta(days=int(day_number))


def _cap_days(issue: np.ndarray) -> np.ndarray:
    """``cap_date`` of each issue day: 60 days from issue, or 45 days end of month."""
    plus45 = (issue + 45).astype("datetime64[D]")
    month_end = (plus45.astype("datetime64[M]") + 1).astype("datetime64[D]").astype(np.int64) - 1
    return np.maximum(issue + CAP_DAYS, month_end)


def _daily_rates(rates: list[tuple[dt.date, float]], rate_pct: float | None):
    """A function of (first, last) day numbers: each day's rate from ``first`` to ``last``
    (the contract rate, else the legal rate of its half-year), in percent."""

    def daily(first: int, last: int) -> np.ndarray:
        days = np.arange(first, last + 1)
        if rate_pct is not None:
            return np.full(len(days), rate_pct, dtype=np.float64)
        months = days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
        years, second = 1970 + months // 12, (months % 12) >= 6
        out = np.empty(len(days), dtype=np.float64)
        for year, half in set(zip(years.tolist(), second.tolist(), strict=True)):
            out[(years == year) & (second == half)] = legal_rate(
                rates, dt.date(year, 7 if half else 1, 1)
            )
        return out

    return daily


def _accrued(amount, due, paid: tuple, as_of: int, daily) -> tuple:
    """The invoices at least a day late at T: their positions, penalties in whole cents and
    the last day counted. Σ over the days from due + 1 to settlement (or T) of unpaid × rate
    / 100 / 365, where a payment counts from the day after it: what is unpaid stays positive
    until settlement (the first day payments reach the amount within 0.01), so the sum is the
    amount's days less each earlier payment's, each a difference of one running sum of the
    daily rates (no loop over invoices or days). ``paid``: the completed payments dated by T,
    as their invoice's position among these (-1: none of these), day and cents."""
    where, day, cents = paid
    mine = where >= 0
    inv = where[mine].astype(np.int64)
    day, cents = day[mine], cents[mine]
    order = np.lexsort((cents, day, inv))  # per invoice, by day (as the law counts them)
    inv, day, cents = inv[order], day[order], cents[order]
    running = np.cumsum(cents)
    first = np.r_[True, inv[1:] != inv[:-1]] if len(inv) else np.zeros(0, bool)
    running -= np.maximum.accumulate(np.where(first, running - cents, 0))
    settled = np.full(len(amount), as_of, dtype=np.int64)
    hit = np.flatnonzero(running >= amount[inv] - 1)
    firsts = hit[np.r_[True, inv[hit][1:] != inv[hit][:-1]]] if len(hit) else hit
    settled[inv[firsts]] = day[firsts]
    late = np.flatnonzero(settled > due)
    if not len(late):
        return late, np.zeros(0, np.int64), np.zeros(0, np.int64)
    lo, hi = int(due[late].min()) + 1, as_of
    # in whole units: rates to the ten-thousandth of a point, so that each invoice's penalty
    # is exact before it is rounded to the cent (half to even, as Python rounds)
    units = np.rint(daily(lo, hi) * 10_000).astype(np.int64)
    cum = np.r_[0, np.cumsum(units)]  # cum[k]: Σ of the units of the days lo … lo + k − 1
    wide = int(amount.max()) * int(cum[-1]) >= 2**62  # past int64: Python integers
    if wide:
        cum, amount, cents = cum.astype(object), amount.astype(object), cents.astype(object)

    def span(start, last):  # Σ over the days start … last (start ≤ last + 1)
        return cum[last - lo + 1] - cum[start - lo]

    last = settled[late]
    accrued = amount[late] * span(due[late] + 1, last)
    # each payment before the last day lowers what is unpaid from the day after it
    counted = (settled[inv] > due[inv]) & (day < settled[inv])
    p_inv = inv[counted]
    start = np.maximum(day[counted] + 1, due[p_inv] + 1)
    less = np.zeros(len(amount), dtype=object if wide else np.int64)
    np.add.at(less, p_inv, cents[counted] * span(start, settled[p_inv]))
    # cents = units × cents / 100 / 365 / 10,000
    q, r = np.divmod(accrued - less[late], 365_000_000)
    claims = (q + ((2 * r > 365_000_000) | ((2 * r == 365_000_000) & (q % 2 == 1)))).astype(
        np.int64
    )
    return late, claims, last
