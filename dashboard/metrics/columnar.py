"""The metric layer's columnar engine: the live rows the KPIs read, as numpy arrays.

SQLite reads rows one at a time, so an as-of aggregation (every invoice against its payments up
to a date) over a million invoices took seconds, and the Overview runs fourteen of them. Here the
live rows are loaded once per data version into arrays (dates as day numbers, money in integer
cents, customers and invoices as positions, invoices in issue order, payments in date order),
so that one snapshot is a few slices and ``bincount`` calls: milliseconds. The ledger's
figures of several windows (the Overview's period, the one before and 12 trend months) come
from one walk forward in time (``walk``): each step reads the invoices paid, written off or
issued in it, and the aging at any day is a few range sums of the open amounts by due day.

A long-running process (the app) keeps the arrays in memory; beside an SQLite file they are also
saved as one ``.npz`` file, so that a new process (``encaisse kpis``) maps them instead of
reading the tables. Both are stamped with the data version that every write moves
(``store.bump_data_version``): a stale copy is never used. ``ColumnarMeasures`` follows the
``measures.Measures`` protocol like the SQL engine's ``SqlMeasures`` and returns the same
integers; the KPIs of ``registry``, and so their formulas, are shared.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import datetime as dt
import functools
import hashlib
import json
import os
import statistics
import subprocess
import sys
import threading
import zipfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from platformdirs import user_cache_dir
from sqlalchemy import Connection, Engine

from dashboard.core.filters import Filters
from dashboard.core.money import money
from dashboard.core.periods import Period, month_start
from dashboard.core.taxonomy import FALLBACK_OWNER
from dashboard.metrics.events import DisputeTotals, EventMeasures, EventWindows
from dashboard.metrics.measures import (
    LedgerTotals,
    PaymentTotals,
    Pools,
    Settlements,
    SurveyCounts,
    overhead_cost,
)
from dashboard.metrics.tables import plain_rows
from dashboard.storage import store

if TYPE_CHECKING:
    import pandas as pd

EPOCH = dt.date(1970, 1, 1)
FORMAT = 10  # bump when the arrays change shape or meaning
NEVER = np.iinfo(np.int32).max  # settlement day of an invoice not fully paid
NO_INVOICE, UNKNOWN_INVOICE = -1, -2  # an action's invoice: none named; none live by that id
SURVEY_TYPES = ("csat", "nps", "ces")
# Stores past this many invoices build their columns in a process of their own
BUILD_APART_OVER = int(os.environ.get("ENCAISSE_COLUMNAR_BUILD_APART", 1_000_000))
SUBSETS_SHARE = 0.25  # filtered copies kept, at most this share of the columns' size
LEDGER_BLOCK = 1 << 18  # invoices per block of a window's ledger pass
PAID_BLOCK = 1 << 20  # payments summed at a time into a ledger's paid amounts
# blocks from this size up are mapped apart, and given back to the system once freed; a ledger
# pass's scratch (a block's arrays, 2 MiB) stays below it and reuses the heap instead of being
# mapped and faulted in again at every step (a filter change at ten million invoices: the
# walk 0.23 → 0.18 s)
MMAP_THRESHOLD = 2 * LEDGER_BLOCK * 8
WALKERS = 2  # ledgers walked at once (this machine's two cores)
# ... while they follow at most this many invoices: each keeps 8 bytes per invoice and its
# steps' scratch (the whole of ten million: 1.2 s against 1.5 s, the app under 1 GiB since
# the day-ordered columns are kept by day and a filter keeps no invoice mask)
WALK_AT_ONCE_MAX_INVOICES = 11_000_000
# PostgreSQL stores past this many live invoices (the planner's estimate) keep the KPIs in
# the database: the copy of ten million holds in 1 GiB (README, Performance); past it, memory
# would grow with the data
PG_MAX_INVOICES = int(os.environ.get("ENCAISSE_COLUMNAR_MAX_INVOICES", 10_500_000))


def day(value: dt.date) -> int:
    return (value - EPOCH).days


def after(days: np.ndarray | Days, last: int) -> int:
    """How many of these sorted day numbers are ≤ ``last``."""
    if isinstance(days, Days):
        return days.count_upto(last)
    # typed like the array: a Python int would make numpy cast the whole array first
    return int(np.searchsorted(days, days.dtype.type(last), side="right"))


def distinct(values: np.ndarray, ordered: bool = False) -> np.ndarray:
    """The sorted distinct values (``ordered``: already sorted): by a sort (numpy 2's
    ``np.unique`` hashes unsorted integers, twenty times slower here on a million invoice
    positions)."""
    if not ordered:
        values = np.sort(values)
    return values[np.r_[True, values[1:] != values[:-1]]] if len(values) else values


def before(days: np.ndarray | Days, first: int) -> int:
    """How many of these sorted day numbers are < ``first``."""
    if isinstance(days, Days):
        return days.count_before(first)
    return int(np.searchsorted(days, days.dtype.type(first), side="left"))


# Columns whose rows are in day order: kept as where each day's rows begin (``Days``)
DAY_SORTED = ("inv_issue", "cp_day", "xp_day", "act_day", "sur_day")
STARTS = "_starts"  # the array of such a column: "cp_day_starts"


class Days:
    """A column of day numbers in ascending order, kept as the row where each day's rows
    begin: 8 bytes a day instead of 4 a row (ten million invoices and their payments,
    actions and answers: 97 MB less, and a filtered copy takes none of it row by row).
    Read like the array it stands for: counts up to a day, and the days of rows."""

    __slots__ = ("first", "starts")

    def __init__(self, packed: np.ndarray):
        # packed: the first day, then the row each day from it begins at, then the rows
        self.first, self.starts = int(packed[0]), packed[1:]

    @staticmethod
    def pack(days: np.ndarray) -> np.ndarray:
        if not len(days):
            return np.zeros(2, dtype=np.int64)
        first, last = int(days[0]), int(days[-1])
        bounds = np.arange(first, last + 2, dtype=np.int64)
        return np.r_[first, np.searchsorted(days, bounds.astype(days.dtype), side="left")]

    @staticmethod
    def kept(packed: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """The packed column of these rows (sorted positions): no row read."""
        return np.r_[packed[:1], np.searchsorted(rows, packed[1:], side="left")]

    def __len__(self) -> int:
        return int(self.starts[-1])

    def _at(self, k: int) -> int:
        return 0 if k <= 0 else int(self.starts[min(k, len(self.starts) - 1)])

    def count_upto(self, last: int) -> int:
        return self._at(last - self.first + 1)

    def count_before(self, first: int) -> int:
        return self._at(first - self.first)

    def __getitem__(self, rows: slice | np.ndarray) -> np.ndarray:
        """The day numbers (int32) of these rows: a slice, positions or a mask."""
        if isinstance(rows, slice):
            a, b, step = rows.indices(len(self))
            if step != 1:
                raise IndexError("a step over rows of days")
            if b <= a:
                return np.empty(0, dtype=np.int32)
            lo = int(np.searchsorted(self.starts, a, side="right")) - 1  # row a's day
            hi = int(np.searchsorted(self.starts, b - 1, side="right")) - 1
            counts = np.diff(np.clip(self.starts[lo : hi + 2], a, b))
            return np.repeat(
                np.arange(self.first + lo, self.first + hi + 1, dtype=np.int32), counts
            )
        rows = np.asarray(rows)
        if rows.dtype == bool:
            rows = np.flatnonzero(rows)
        at = np.searchsorted(self.starts, rows, side="right") - 1
        return (at + self.first).astype(np.int32)


# --- the arrays ----------------------------------------------------------------------------


@dataclass
class Columns:
    """Live rows as arrays, plus the few labels and small tables the KPIs need."""

    version: str
    arrays: dict[str, np.ndarray]
    labels: dict[str, list[str]]  # categories of the coded columns
    reason_owners: dict[str, str]  # taxonomy: code -> owner
    costs: list[tuple[str, int, str | None]]  # (month, cents, segment) of live cost lines
    _selections: dict = field(default_factory=dict, repr=False)

    def __getattr__(self, name: str) -> np.ndarray:
        arrays = self.__dict__["arrays"]
        if name in DAY_SORTED:
            return Days(arrays[name + STARTS])  # type: ignore[return-value]
        try:
            return arrays[name]
        except KeyError:
            raise AttributeError(name) from None

    def has_cost_data(self) -> bool:
        """Any cost line, or any action costing more than zero (computed once)."""
        if "_has_cost" not in self.__dict__:
            self.__dict__["_has_cost"] = bool(self.costs) or bool((self.act_cost > 0).any())
        return self.__dict__["_has_cost"]

    @property
    def nbytes(self) -> int:
        return sum(v.nbytes for v in self.arrays.values())

    @property
    def invoice_count(self) -> int:
        return len(self.arrays["inv_amount"])

    def paid_by(self, last_day: int, invoices: int | None = None) -> np.ndarray:
        """Completed payments dated ≤ ``last_day``, summed per invoice: whole cents, as
        float64 (exact below 2**53 cents; no second array the size of the ledger)."""
        k = after(self.cp_day, last_day)
        n = self.invoice_count if invoices is None else invoices
        # float64 sums of integer cents are exact below 2**53 (90 000 billion euros)
        sums = np.zeros(n)
        # by blocks: bincount would copy every payment to 16 bytes first (at ten million
        # invoices, 100 MB for each ledger of a walk), for the same time
        for a in range(0, k, PAID_BLOCK):
            inv = self.cp_inv[a : min(a + PAID_BLOCK, k)]
            weights = self.cp_amount[a : min(a + PAID_BLOCK, k)]
            keep = inv < n
            if not keep.all():
                inv, weights = inv[keep], weights[keep]
            np.add.at(sums, inv.astype(np.intp), weights.astype(np.float64))
        return sums

    def customers_known(self, invoices: int | None = None) -> bool:
        """Whether every invoice (of the first ``invoices``) has its customer in the customers
        table: only then does the copy hold every invoice's customer id (``labels``)."""
        cust = self.inv_cust if invoices is None else self.inv_cust[:invoices]
        return not len(cust) or int(cust.min()) >= 0

    def off_by(self, last_day: int, invoices: int | None = None) -> np.ndarray:
        """Amounts written off on or before ``last_day``, per invoice (cents)."""
        n = self.invoice_count if invoices is None else invoices
        out = np.zeros(n, dtype=np.int64)
        k = before(self.wo_inv, n)  # (positions in order)
        by = self.wo_day[:k] <= last_day
        out[self.wo_inv[:k][by]] = self.wo_amount[:k][by]
        return out

    def selection(
        self, segments: tuple[str, ...], regions: tuple[str, ...], collectors: tuple[str, ...]
    ) -> Selection | None:
        """Customer and invoice masks of a filter (None when nothing is filtered)."""
        if not (segments or regions or collectors):
            return None
        key = (segments, regions, collectors)
        if key not in self._selections:
            if len(self._selections) >= 8:  # each may hold a subset: bound the memory
                self._selections.clear()
            mask = np.ones(len(self.arrays["cus_segment"]), dtype=bool)
            for name, values in (
                ("segment", segments),
                ("region", regions),
                ("collector", collectors),
            ):
                if values:
                    wanted = [i for i, v in enumerate(self.labels[name]) if v in set(values)]
                    mask &= np.isin(self.arrays[f"cus_{name}"], wanted)
            # one more entry, False: position -1 (a customer not in the customer table)
            customers = np.append(mask, False)
            self._selections[key] = Selection(customers, self.inv_cust)
        return self._selections[key]

    def subset(self, selection: Selection) -> Columns:
        """The columns of the selected customers only (cached with the selection), so that
        every snapshot of a filtered view works on that part alone."""
        if selection.columns is not None:
            return selection.columns
        a, keep = self.arrays, selection.invoices
        # the others dropped before this one is built when it would pass the share (the peak)
        self._bound_copies(self.nbytes * float(keep.mean()) if len(keep) else 0.0)
        # each mask turned into positions once, then every array of its table taken by them
        # (a boolean index finds its positions again for every array)
        kept = np.flatnonzero(keep)
        new_position = np.full(len(keep), -1, dtype=np.int32)  # old invoice -> new position
        new_position[kept] = np.arange(len(kept), dtype=np.int32)
        sub: dict[str, np.ndarray] = {k: v for k, v in a.items() if k.startswith("cus_")}

        def table(prefix: str) -> dict[str, np.ndarray]:
            key = {"cp_": "cp_inv", "xp_": "xp_inv", "rea_": "rea_inv", "wo_": "wo_inv"}.get(prefix)
            moved = None
            if prefix == "inv_":
                rows = kept
            elif key is not None:  # rows of invoices: their invoices' new positions
                # (kept rows found through the mask: a byte per row, not an int32)
                rows = np.flatnonzero(keep.take(a[key]))
                moved = new_position.take(a[key].take(rows))
            else:  # rows of customers
                rows = np.flatnonzero(selection.customers[a[prefix + "cust"]])
            out = {
                k: Days.kept(v, rows) if k.endswith(STARTS) else v.take(rows)
                for k, v in a.items()
                if k.startswith(prefix) and k != key
            }
            if prefix == "act_":  # an action's invoice: its new position, or not in the copy
                inv = out["act_inv"]
                named = inv >= 0
                inv[named] = new_position.take(inv[named])
                inv[named & (inv < 0)] = UNKNOWN_INVOICE
            if moved is not None:
                out[key] = moved
            return out

        # numpy lets go of the interpreter while it takes: the tables in two threads
        with ThreadPoolExecutor(2, thread_name_prefix="encaisse-subset") as pool:
            for part in pool.map(table, ("inv_", "cp_", "xp_", "rea_", "wo_", "act_", "sur_")):
                sub.update(part)
        cols = Columns(self.version, sub, self.labels, self.reason_owners, self.costs)
        self._bound_copies(cols.nbytes)  # (the estimate may have been short)
        selection.columns = cols
        return cols

    def _bound_copies(self, adding: float) -> None:
        """The filtered copies kept stay under SUBSETS_SHARE of the whole: when ``adding`` a
        copy of that size would pass it, the others are dropped (built again when their
        filter comes back)."""
        kept = [s for s in self._selections.values() if s.columns is not None]
        if sum(s.columns.nbytes for s in kept) + adding > SUBSETS_SHARE * self.nbytes:
            for other in kept:
                other.columns = None


@dataclass(eq=False)
class Selection:
    """The rows one filter keeps."""

    customers: np.ndarray  # bool per customer, then False for "no such customer"
    inv_cust: np.ndarray  # the whole copy's customer of each invoice (-1: no such customer)
    columns: Columns | None = None  # the subset, built on first use

    @property
    def invoices(self) -> np.ndarray:
        """bool per invoice of the whole copy: found when asked, not kept (a byte per invoice
        for each of the filters remembered: 80 MB at ten million)."""
        return self.customers[self.inv_cust]

    def keeps(self, rows: np.ndarray) -> np.ndarray:
        """bool per invoice of these positions."""
        return self.customers[self.inv_cust[rows]]


# --- loading ---------------------------------------------------------------------------------


def _day_sql(col: str, dialect: str) -> str:
    if dialect == "sqlite":
        # julianday of a date is N.5; its integer part minus 2440587 counts days from 1970
        return f"(CAST(julianday({col}) AS INTEGER) - 2440587)"
    return f"({col} - DATE '1970-01-01')"


def _all(conn: Connection, sql: str) -> list[tuple]:
    return [row for rows in plain_rows(conn, sql) for row in rows]


def _columns(
    conn: Connection,
    sql: str,
    dtypes: tuple,
    index: pd.Index | None = None,
    texts: list[str] | None = None,
) -> list[np.ndarray]:
    """A query's columns, one array each in its dtype, built a chunk of rows at a time: memory
    holds the arrays and one chunk, not a table of int64 beside them. With ``index``, the
    first column (a customer id) becomes its position in ``index`` (-1 where absent). With
    ``texts``, the last column is text: coded by its first appearance, the texts in ``texts``
    (its dtype is the codes')."""
    parts: list[list[np.ndarray]] = [[] for _ in dtypes]
    skip = 0 if index is None else 1
    last = len(dtypes) - (texts is not None)
    code: dict[str, int] = {}
    for rows in plain_rows(conn, sql):
        if index is not None:
            parts[0].append(index.get_indexer([r[0] for r in rows]).astype(np.int32))
            rows = [r[1:] for r in rows]
        if texts is not None:
            parts[-1].append(
                np.fromiter(
                    (code.setdefault(r[-1], len(code)) for r in rows), dtypes[-1], len(rows)
                )
            )
            rows = [r[:-1] for r in rows]
        # one chunk as int64 (a few megabytes), then each column in its own dtype
        table = np.array(rows, dtype=np.int64).reshape(len(rows), last - skip)
        for i in range(skip, last):
            parts[i].append(table[:, i - skip].astype(dtypes[i]))
    if texts is not None:
        texts[:] = [str(t) for t in code]
    return [
        np.concatenate(p) if p else np.empty(0, dtype=t) for p, t in zip(parts, dtypes, strict=True)
    ]


def _in_order(arrays: list[np.ndarray], order: np.ndarray) -> list[np.ndarray]:
    """Each array rearranged by ``order``, one at a time (the originals freed as it goes)."""
    out = []
    while arrays:
        out.append(arrays.pop(0)[order])
    return out


I8, I16, I32, I64 = np.int8, np.int16, np.int32, np.int64


def _codes(values: pd.Series) -> tuple[np.ndarray, list[str]]:
    import pandas as pd

    codes, uniques = pd.factorize(values, sort=True)
    return codes.astype(np.int32), [str(u) for u in uniques]


def load(conn: Connection) -> Columns:
    """Read the live rows in the caller's (consistent) transaction."""
    import pandas as pd  # here, not at the top: a command reading the saved copy skips it

    dia = conn.dialect.name
    version = store.data_version(conn)
    a: dict[str, np.ndarray] = {}
    labels: dict[str, list[str]] = {}

    cus = pd.DataFrame(
        _all(
            conn,
            "SELECT customer_id, segment, region, collector "
            "FROM customers WHERE replaced_by IS NULL",
        ),
        columns=["customer_id", "segment", "region", "collector"],
    )
    for name in ("segment", "region", "collector"):
        a[f"cus_{name}"], labels[name] = _codes(cus[name])
    cus_index = pd.Index(cus["customer_id"])
    labels["customer_id"] = [str(c) for c in cus["customer_id"]]

    invoices = _columns(
        conn,
        f"SELECT customer_id, id, {_day_sql('issue_date', dia)}, "
        f"{_day_sql('due_date', dia)}, amount_cents, "
        f"CASE WHEN disputed THEN 1 ELSE 0 END, COALESCE(written_off_cents, 0), "
        f"COALESCE({_day_sql('written_off_date', dia)}, {NEVER}) "
        f"FROM invoices WHERE replaced_by IS NULL",
        (I32, I64, I32, I32, I64, bool, I64, I32),
        cus_index,
    )
    order = np.argsort(invoices[2], kind="stable")  # issue order: "issued by T" is a prefix
    (
        a["inv_cust"],
        ids,
        a["inv_issue"],
        a["inv_due"],
        amount,
        a["inv_disputed"],
        written_off,
        a["inv_wo_day"],
    ) = _in_order(invoices, order)
    a["inv_amount"] = compact(amount)
    # write-offs are few (none at all in the benchmark's ten million): kept apart, by invoice
    wo = np.flatnonzero(written_off != 0)
    a["wo_inv"], a["wo_day"] = wo.astype(np.int32), a.pop("inv_wo_day")[wo]
    a["wo_amount"] = compact(written_off[wo])
    del amount, written_off, order, wo
    by_id = np.argsort(ids)

    def position(invoice_pk: np.ndarray) -> np.ndarray:
        return by_id[np.searchsorted(ids, invoice_pk, sorter=by_id)].astype(np.int32)

    # Payments of live invoices only (as the SQL joins), in date order: completed ones (cp_)
    # and the other attempts (xp_: only their count is read), with no array of every attempt
    # beside a copy of the completed ones.
    pay = _columns(
        conn,
        f"SELECT i.id, {_day_sql('p.payment_date', dia)}, p.amount_cents, "
        f"CASE WHEN p.status = 'completed' THEN 1 ELSE 0 END "
        f"FROM payments p JOIN invoices i ON i.invoice_id = p.invoice_id "
        f"AND i.replaced_by IS NULL WHERE p.replaced_by IS NULL",
        (I64, I32, I64, bool),
    )
    pk, days, amount, done = _in_order(pay, np.argsort(pay[1], kind="stable"))
    a["cp_inv"], a["cp_day"], a["cp_amount"] = position(pk[done]), days[done], compact(amount[done])
    a["xp_inv"], a["xp_day"] = position(pk[~done]), days[~done]
    del pk, days, amount, done

    # each action's invoice (its live invoice's id: NO_INVOICE when it names none,
    # UNKNOWN_INVOICE when no live invoice has that id) and its channel, coded
    labels["channel"] = []
    act = _columns(
        conn,
        f"SELECT a.customer_id, {_day_sql('a.action_date', dia)}, "
        f"COALESCE(a.cost_cents, 0), CASE WHEN a.invoice_id IS NULL OR a.invoice_id = '' "
        f"THEN {NO_INVOICE} ELSE COALESCE(i.id, {UNKNOWN_INVOICE}) END, a.channel "
        f"FROM actions a LEFT JOIN invoices i ON i.invoice_id = a.invoice_id "
        f"AND i.replaced_by IS NULL WHERE a.replaced_by IS NULL",
        (I32, I32, I64, I64, I32),
        cus_index,
        labels["channel"],
    )
    a["act_cust"], a["act_day"], cost, act_pk, a["act_channel"] = _in_order(
        act, np.argsort(act[1], kind="stable")
    )
    a["act_cost"] = compact(cost)
    named = act_pk >= 0
    a["act_inv"] = np.where(named, 0, act_pk).astype(np.int32)
    a["act_inv"][named] = position(act_pk[named])
    del cost, act_pk, named

    types = " ".join(f"WHEN '{t}' THEN {i}" for i, t in enumerate(SURVEY_TYPES))
    sur = _columns(
        conn,
        f"SELECT customer_id, {_day_sql('response_date', dia)}, "
        f"CASE survey_type {types} ELSE -1 END, score FROM surveys "
        f"WHERE replaced_by IS NULL",
        (I32, I32, I8, I16),
        cus_index,
    )
    a["sur_cust"], a["sur_day"], a["sur_type"], a["sur_score"] = _in_order(
        sur, np.argsort(sur[1], kind="stable")
    )

    rea = pd.DataFrame(
        _all(
            conn,
            "SELECT i.id, r.reason, r.owner, "
            f"COALESCE({_day_sql('r.recorded_date', dia)}, {_day_sql('i.issue_date', dia)}), "
            f"COALESCE({_day_sql('r.resolved_date', dia)}, {NEVER}) FROM reasons r "
            "JOIN invoices i ON i.invoice_id = r.invoice_id "
            "AND i.replaced_by IS NULL WHERE r.replaced_by IS NULL",
        ),
        columns=["pk", "reason", "owner", "recorded", "resolved"],
    )
    a["rea_inv"] = position(rea["pk"].to_numpy(np.int64))
    # a record without a recorded date counts from its invoice's issue date; never resolved:
    # NEVER
    a["rea_recorded"] = rea["recorded"].to_numpy(np.int64).astype(np.int32)
    a["rea_resolved"] = rea["resolved"].to_numpy(np.int64).astype(np.int32)
    a["rea_reason"], labels["reason"] = _codes(rea["reason"])
    a["rea_owner"], labels["owner"] = _codes(rea["owner"])  # -1 where the record has none
    # records in invoice order: a window's disputed invoices are then distinct by a look at
    # their neighbours, not a sort of a million records per window
    order = np.argsort(a["rea_inv"], kind="stable")
    for k in ("rea_inv", "rea_recorded", "rea_resolved", "rea_reason", "rea_owner"):
        a[k] = a[k][order]

    owners = dict(_all(conn, "SELECT code, owner FROM reason_codes"))
    costs = [
        (str(m), int(c or 0), s)
        for m, c, s in _all(
            conn, "SELECT month, amount_cents, segment FROM costs WHERE replaced_by IS NULL"
        )
    ]
    cols = Columns(version, a, labels, owners, costs)
    _derive(cols)
    for name in DAY_SORTED:
        a[name + STARTS] = Days.pack(a.pop(name))
    return cols


def compact(cents: np.ndarray) -> np.ndarray:
    """Amounts in 32 bits when every one fits (below 21 million euros), else 64: half the
    memory of a ledger's amounts. Sums still run in 64 bits (numpy's default for them); a
    product or difference with one of them takes an int64 operand first."""
    small = np.iinfo(np.int32)
    if len(cents) == 0 or (cents.min() >= small.min and cents.max() <= small.max):
        return cents.astype(np.int32)
    return cents.astype(np.int64)


def _derive(cols: Columns) -> None:
    """The day each invoice's completed payments first reach its amount (within 0.01)."""
    a = cols.arrays
    n = len(a["inv_amount"])
    settled = np.full(n, NEVER, dtype=np.int32)
    if len(a["cp_inv"]):
        # per invoice, in date order: the first payment whose running total reaches the amount
        # is on the settlement day (amounts are positive, so the running total only grows)
        order = np.lexsort((a["cp_day"], a["cp_inv"]))
        inv, days, amounts = a["cp_inv"][order], a["cp_day"][order], a["cp_amount"][order]
        total = np.cumsum(amounts, dtype=np.int64)
        first = np.r_[True, inv[1:] != inv[:-1]]
        base = np.maximum.accumulate(np.where(first, total - amounts, 0))
        running = total - base
        reached = running >= a["inv_amount"][inv] - 1
        hit = np.flatnonzero(reached)
        if len(hit):
            inv_hit = inv[hit]
            firsts = np.r_[True, inv_hit[1:] != inv_hit[:-1]]
            settled[inv_hit[firsts]] = days[hit[firsts]]
    a["inv_settled"] = settled


SAVED = (
    "cus_segment",
    "cus_region",
    "cus_collector",
    "inv_cust",
    "inv_issue_starts",
    "inv_due",
    "inv_amount",
    "inv_disputed",
    "wo_inv",
    "wo_day",
    "wo_amount",
    "cp_inv",
    "cp_day_starts",
    "cp_amount",
    "xp_inv",
    "xp_day_starts",
    "act_cust",
    "act_day_starts",
    "act_cost",
    "act_inv",
    "act_channel",
    "sur_cust",
    "sur_day_starts",
    "sur_type",
    "sur_score",
    "rea_inv",
    "rea_reason",
    "rea_owner",
    "rea_recorded",
    "rea_resolved",
    # derived, saved too: a new process then maps it instead of sorting payments
    "inv_settled",
)


def save(cols: Columns, path: Path) -> None:
    """Write the arrays as one file, atomically (a reader sees the old file or the new one)."""
    meta = {
        "format": FORMAT,
        "version": cols.version,
        "labels": cols.labels,
        "reason_owners": cols.reason_owners,
        "costs": cols.costs,
    }
    tmp = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    # readable by this user only: it is a copy of the ledger
    with open(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as f:
        np.savez(
            f,
            meta=np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8),
            **{k: cols.arrays[k] for k in SAVED},
        )
    os.replace(tmp, path)


def read_saved(path: Path, version: str) -> Columns | None:
    """The saved arrays if they are of this data version, else None."""
    try:
        with np.load(path, allow_pickle=False) as z:
            meta = json.loads(z["meta"].tobytes())
            if meta.get("format") != FORMAT or meta.get("version") != version:
                return None
            arrays = {k: z[k] for k in SAVED}
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
        return None  # absent, half-written by a killed process, or of an older format
    return Columns(
        version, arrays, meta["labels"], meta["reason_owners"], [tuple(c) for c in meta["costs"]]
    )


# --- which engine serves a snapshot ---------------------------------------------------------

_memo: dict[str, Columns] = {}
_too_big: dict[str, str] = {}
_lock = threading.Lock()


def saved_path(engine: Engine) -> Path | None:
    """Where a store's columns are saved: beside an SQLite file; for a server database, in
    this user's cache folder under a digest of its address (None for SQLite in memory)."""
    url = engine.url
    if engine.dialect.name == "sqlite":
        if not url.database or url.database == ":memory:":
            return None
        return Path(f"{url.database}.columns.npz")
    digest = hashlib.sha256(url.render_as_string(hide_password=True).encode()).hexdigest()
    folder = Path(
        os.environ.get("ENCAISSE_CACHE_DIR") or user_cache_dir("encaisse", appauthor=False)
    )
    return folder / f"columns-{digest[:20]}.npz"


def engine_choice(choice: str | None = None) -> str:
    """``choice``, else ``ENCAISSE_ENGINE``: "sql", "columnar" (forced even beyond
    ``PG_MAX_INVOICES``) or "auto" (columnar, except for a large PostgreSQL store)."""
    return choice or os.environ.get("ENCAISSE_ENGINE", "auto")


def warm(engine: Engine) -> None:
    """Load the columns in a background thread (the app, after it starts and after each
    write), so that the next page finds them ready or waits for this load, not another."""

    def run() -> None:
        with contextlib.suppress(Exception):  # a failure surfaces at the next real read
            columns_for(engine)

    threading.Thread(target=run, name="encaisse-columns", daemon=True).start()


def columns_for(engine: Engine, choice: str | None = None) -> Columns | None:
    """The current columns of this store, or None where the SQL engine serves."""
    choice = engine_choice(choice)
    if choice == "sql":
        return None
    give_back_freed_memory()
    key = engine.url.render_as_string(hide_password=False)
    with engine.connect() as conn:
        version = store.data_version(conn)
    cols = _memo.get(key)
    if cols is not None and cols.version == version:
        return cols
    if _too_big.get(key) == version and choice != "columnar":
        return None
    with _lock:
        cols = _memo.get(key)
        if cols is not None and cols.version == version:
            return cols
        path = saved_path(engine)
        cols = read_saved(path, version) if path and version else None
        if cols is None and path and version and _held_over(engine, BUILD_APART_OVER):
            cols = _built_apart(engine, choice, path)
        if cols is None:
            cols = _load_consistent(engine, choice)
            if cols is None:
                _too_big[key] = version
                return None
            if path and cols.version:
                # a read-only folder: the next process reads the tables again
                with contextlib.suppress(OSError):
                    path.parent.mkdir(parents=True, exist_ok=True)
                    save(cols, path)
        _memo[key] = cols
        return cols


@functools.cache
def give_back_freed_memory() -> None:
    """Have the C allocator return freed blocks of ``MMAP_THRESHOLD`` or more to the system
    (glibc, once per process). Once a large block is freed, glibc raises the size below which
    it keeps freed blocks for reuse: a process that filters ten million invoices then held
    hundreds of megabytes of freed filtered copies and window temporaries (measured at ten
    million invoices: 967 MiB held after six filter changes, 738 MiB with this; peak 975 →
    951 MiB)."""
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.mallopt(-3, MMAP_THRESHOLD)  # M_MMAP_THRESHOLD, fixed


def _held_over(engine: Engine, invoices: int) -> bool:
    """Whether the invoices table may hold more than ``invoices`` rows (ids only grow, so the
    largest bounds them: one index lookup on both databases)."""
    with engine.connect() as conn:
        largest = conn.exec_driver_sql("SELECT max(id) FROM invoices").scalar()
    return (largest or 0) > invoices


def _built_apart(engine: Engine, choice: str, path: Path) -> Columns | None:
    """Build and save the columns in a process of its own, then read the saved copy: the
    build's peak (twice the copy, and the memory the database driver and Python keep after
    it) ends with that process instead of staying in a long-lived one such as the app.
    None when the copy saved is not of the current version (a write came in between) or the
    build failed: the caller then loads in this process."""
    env = {
        **os.environ,
        "ENCAISSE_DB_URL": engine.url.render_as_string(hide_password=False),
        "ENCAISSE_ENGINE": choice,
        "ENCAISSE_COLUMNS_PATH": str(path),
    }
    done = subprocess.run(
        [sys.executable, "-c", f"from {__name__} import build_and_save; build_and_save()"],
        env=env,
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        return None
    with engine.connect() as conn:
        version = store.data_version(conn)
    return read_saved(path, version)


def build_and_save() -> None:
    """(The process of :func:`_built_apart`.) Load the store's columns and save them."""
    engine = store.make_engine(os.environ["ENCAISSE_DB_URL"])
    cols = _load_consistent(engine, os.environ.get("ENCAISSE_ENGINE"))
    if cols is not None and cols.version:
        path = Path(os.environ["ENCAISSE_COLUMNS_PATH"])
        path.parent.mkdir(parents=True, exist_ok=True)
        save(cols, path)


def _load_consistent(engine: Engine, choice: str | None) -> Columns | None:
    """Load every table in one snapshot of the database (the version read with them)."""
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            if conn.dialect.name == "postgresql" and choice != "columnar":
                # the planner's row estimate (kept by ANALYZE after each import): instant,
                # where a count would scan ten million rows for every command
                rows = conn.exec_driver_sql(
                    "SELECT reltuples FROM pg_class WHERE oid = 'invoices'::regclass"
                ).scalar()
                if (rows or 0) > PG_MAX_INVOICES:
                    return None
            return load(conn)


# --- the building blocks ---------------------------------------------------------------------


@dataclass(frozen=True)
class Walked:
    """What one window's walk over the ledger gives: its totals, and its open disputes (their
    invoices, and those invoices' open amounts at T)."""

    ledger: LedgerTotals
    open_disputes: int | None  # None: not asked (``walk``'s ``disputes_of``)
    open_disputed_cents: int | None
    # with ``walk(..., disputed=True)``: those invoices (sorted positions), their open cents
    disputed: np.ndarray | None = None
    disputed_open: np.ndarray | None = None


class _Ledger:
    """The ledger at the end of day ``last``: each invoice's completed payments up to it, and
    the open amounts of the invoices issued by then, summed by due day.

    An open amount moves only on a payment, a write-off or an issue, so moving to a later day
    reads the invoices paid, written off or issued in between, not the whole ledger: the
    aging at any day is then a few range sums of the amounts by due day."""

    def __init__(self, cols: Columns, last: int, n_max: int, keep_disputed: bool = False):
        c = self.c = cols
        self.keep_disputed = keep_disputed
        self.n_max = n_max  # invoices issued by the last day any window asks about
        dues = c.inv_due[:n_max]
        self.due0 = int(dues.min()) if n_max else 0
        self.bins = int(dues.max()) - self.due0 + 1 if n_max else 1
        k = before(c.wo_inv, n_max)  # the few written off, in invoice order
        self.written_off, self.wo_day = c.wo_inv[:k], c.wo_day[:k]
        self.wo_amount = c.wo_amount[:k].astype(np.int64)
        self.last = last
        self.paid = c.paid_by(last, n_max)  # float64: whole cents, exact below 2**53
        self.issued = after(c.inv_issue, last)
        self.by_due = np.zeros(self.bins)
        for a in range(0, self.issued, LEDGER_BLOCK):
            self.by_due += self._by_due(slice(a, min(a + LEDGER_BLOCK, self.issued)), last)

    def open(self, rows, last_day: int, gained: np.ndarray | float = 0.0) -> np.ndarray:
        """Open amounts at the end of ``last_day`` of these invoices (a slice or sorted
        positions), ``gained`` being their payments dated after ``self.last`` up to that day."""
        c = self.c
        wo = self._written_off(rows)
        off = 0 if wo is None else np.where(wo[1] <= last_day, wo[0], 0)
        return np.maximum(c.inv_amount[rows] - (self.paid[rows] + gained) - off, 0)

    def _written_off(self, rows) -> tuple[np.ndarray, np.ndarray] | None:
        """Of these invoices (a slice or sorted positions), each one's amount written off and
        its day (NEVER where none); None when none of them is written off."""
        if isinstance(rows, slice):
            a, b = np.searchsorted(self.written_off, [rows.start, rows.stop])
            if a == b:
                return None
            at, size = self.written_off[a:b] - rows.start, rows.stop - rows.start
            amounts, days = self.wo_amount[a:b], self.wo_day[a:b]
        else:
            if not len(rows):
                return None
            a, b = np.searchsorted(self.written_off, [rows[0], rows[-1] + 1])
            if a == b:
                return None
            at = np.searchsorted(rows, self.written_off[a:b])
            hit = rows[np.minimum(at, len(rows) - 1)] == self.written_off[a:b]
            if not hit.any():
                return None
            at, size = at[hit], len(rows)
            amounts, days = self.wo_amount[a:b][hit], self.wo_day[a:b][hit]
        amount = np.zeros(size, dtype=np.int64)
        day_of = np.full(size, NEVER, dtype=np.int32)
        amount[at], day_of[at] = amounts, days
        return amount, day_of

    def _by_due(self, rows, last_day: int) -> np.ndarray:
        due = self.c.inv_due[rows] - self.due0
        return np.bincount(due, weights=self.open(rows, last_day), minlength=self.bins)

    def _moved(self, rows, t: int, gained: np.ndarray, sums: dict) -> None:
        """Add these invoices' move from F − 1 to T (each read once): their open amounts'
        change by due day, what their payments recovered, and what they owed at F if due by
        T (``owed`` of invoices issued in the window; those before F are in ``by_due``)."""
        c = self.c
        amount, paid, due = c.inv_amount[rows], self.paid[rows], c.inv_due[rows]
        wo = self._written_off(rows)
        off_f = 0 if wo is None else np.where(wo[1] <= self.last, wo[0], 0)
        off_t = 0 if wo is None else np.where(wo[1] <= t, wo[0], 0)
        open_f = np.maximum(amount - paid - off_f, 0)
        open_t = np.maximum(amount - paid - gained - off_t, 0)
        new = isinstance(rows, slice)  # issued in the window: not yet in ``by_due``
        moved = open_t if new else open_t - open_f
        sums["by_due"] += np.bincount(due - self.due0, moved, minlength=self.bins)
        due_by_t = due <= t
        sums["got"] += np.minimum(gained, open_f).sum(where=due_by_t)
        if new:  # owed from the window's start
            sums["owed_new"] += open_f.sum(where=due_by_t)

    def ahead(self, t: int, disputes: bool | None = True) -> tuple[Step, Walked | None]:
        """Moving from the end of ``self.last`` (F − 1) to the end of day T: what changes, and
        the window [F, T]'s figures (nothing moves until ``go``; ``disputes`` None: a step
        only, no figures)."""
        c, f = self.c, self.last + 1
        a, b = after(c.cp_day, self.last), after(c.cp_day, t)
        inv, amount = c.cp_inv[a:b], c.cp_amount[a:b]
        keep = inv < self.n_max
        if not keep.all():
            inv, amount = inv[keep], amount[keep]
        paid_inv, where = np.unique(inv, return_inverse=True)  # invoices paid in [F, T]
        gain = np.bincount(where, weights=amount, minlength=len(paid_inv))
        n = after(c.inv_issue, t)
        sums = {"by_due": self.by_due.copy(), "got": 0.0, "owed_new": 0.0}
        # invoices issued before F whose open amount moves: paid or written off in [F, T]
        paid_old = paid_inv < self.issued
        old = paid_inv[paid_old]
        wo_in = self.written_off[(self.wo_day >= f) & (self.wo_day <= t)]
        wo_in = wo_in[wo_in < self.issued]
        if len(wo_in):
            old = distinct(np.concatenate([old, wo_in]))
            old_gain = np.zeros(len(old))
            old_gain[np.searchsorted(old, paid_inv[paid_old])] = gain[paid_old]
        else:  # the paid ones alone, in the same order
            old_gain = gain[paid_old]
        for a in range(0, len(old), LEDGER_BLOCK):
            rows = old[a : a + LEDGER_BLOCK]
            self._moved(rows, t, old_gain[a : a + LEDGER_BLOCK], sums)
        # invoices issued in [F, T] (their payments before their issue counted at F)
        new_gain = np.zeros(n - self.issued)
        paid_new = (paid_inv >= self.issued) & (paid_inv < n)
        new_gain[paid_inv[paid_new] - self.issued] = gain[paid_new]
        for a in range(self.issued, n, LEDGER_BLOCK):
            rows = slice(a, min(a + LEDGER_BLOCK, n))
            self._moved(rows, t, new_gain[a - self.issued : rows.stop - self.issued], sums)
        step = Step(t, paid_inv, gain, n, sums["by_due"])
        if disputes is None:
            return step, None
        return step, self._window(f, t, step, sums["got"], sums["owed_new"], disputes)

    def _window(
        self, f: int, t: int, step: Step, got: float, owed_new: float, disputes: bool
    ) -> Walked:
        c = self.c
        cum = np.cumsum(step.by_due)  # open at T by due day, summed up to each day

        def upto(last_day: int, cum: np.ndarray = cum) -> float:  # Σ due on or before it
            k = min(last_day - self.due0, self.bins - 1)
            return float(cum[k]) if k >= 0 else 0.0

        receivables = int(round(cum[-1]))
        d90, d60, d30, d0 = (round(upto(t - k)) for k in (91, 61, 31, 1))
        at_f = np.cumsum(self.by_due)  # open at F − 1, of the invoices issued by then
        new = slice(self.issued, step.issued)
        in_p = (self.written_off < step.issued) & (self.wo_day >= f) & (self.wo_day <= t)
        totals = LedgerTotals(
            receivables_cents=receivables,
            current_cents=receivables - d0,
            d1_30_cents=d0 - d30,
            d31_60_cents=d30 - d60,
            d61_90_cents=d60 - d90,
            d90_plus_cents=d90,
            receivables_before_cents=int(round(at_f[-1])),
            credit_sales_cents=int(c.inv_amount[new].sum()),
            owed_cents=int(round(upto(t, at_f) + owed_new)),
            got_cents=int(round(got)),
            written_off_cents=int(self.wo_amount[in_p].sum()),
            issued_count=new.stop - new.start,
            disputed_count=int(c.inv_disputed[new].sum()),
        )
        if not disputes:
            return Walked(totals, None, None)
        # disputes recorded by T, not resolved by T, on invoices issued by T
        d_inv = distinct(
            c.rea_inv[(c.rea_inv < step.issued) & (c.rea_recorded <= t) & (c.rea_resolved > t)],
            ordered=True,  # records are in invoice order
        )
        # their payments in the window: the paid invoices looked up among them
        at = np.searchsorted(d_inv, step.paid_inv)
        hit = at < len(d_inv)
        hit[hit] = d_inv[at[hit]] == step.paid_inv[hit]
        d_gain = np.zeros(len(d_inv))
        d_gain[at[hit]] = step.gain[hit]
        owed = self.open(d_inv, t, d_gain)
        if self.keep_disputed:
            return Walked(totals, len(d_inv), int(owed.sum()), d_inv, owed)
        return Walked(totals, len(d_inv), int(owed.sum()))

    def go(self, step: Step) -> None:
        """Move to the end of ``step``'s day."""
        self.paid[step.paid_inv] += step.gain  # each invoice once: a plain scatter
        self.by_due, self.last, self.issued = step.by_due, step.last, step.issued


@dataclass(frozen=True)
class Step:
    """What moving ``_Ledger`` to the end of day ``last`` changes."""

    last: int
    paid_inv: np.ndarray  # invoices paid in between, sorted
    gain: np.ndarray  # and their payments in between
    issued: int  # invoices issued by ``last``
    by_due: np.ndarray  # open amounts then, by due day


def walk(
    cols: Columns,
    periods: Sequence[Period],
    disputed: bool = False,
    disputes_of: Sequence[Period] | None = None,
) -> list[Walked]:
    """The ``LedgerTotals`` and open disputes of several periods, walking forward in time:
    the ledger moved from one window's start to the next by the payments, write-offs and
    issues in between (a trend's month reads its own month's rows, not the whole ledger
    twice). Windows that follow one another form a chain, walked on a ledger of its own (the
    Overview's two 90-day windows beside its months); up to ``WALKERS`` chains walked at
    once, or one chain when the ledgers are large.
    ``disputed``: each window keeps its open disputes' invoices and their open amounts (for
    the figures per owner). ``disputes_of``: the periods whose open disputes are asked
    (default all; a trend's months need only their resolution days)."""
    if not periods:
        return []
    order = sorted(range(len(periods)), key=lambda i: (periods[i].start, periods[i].end))
    n_max = after(cols.inv_issue, max(day(p.end) for p in periods))
    # (ledgers of many invoices walk one at a time, so as one chain: no second ledger built)
    walkers = WALKERS if n_max <= WALK_AT_ONCE_MAX_INVOICES else 1
    chains: list[list[int]] = []
    ends: list[int] = []  # each chain's last window's end
    for i in order:
        f, t = day(periods[i].start), day(periods[i].end)
        # the chain this window continues; else a new one while there are few; else the
        # chain that ended last (the fewest days to step over)
        k = next((k for k, end in enumerate(ends) if end == f - 1), None)
        if k is None and len(chains) < walkers:
            chains.append([])
            ends.append(f - 1)
            k = len(chains) - 1
        elif k is None:
            k = max(range(len(ends)), key=ends.__getitem__)
        chains[k].append(i)
        ends[k] = t

    def run(chain: list[int]) -> list[Walked]:
        ledger = _Ledger(cols, day(periods[chain[0]].start) - 1, n_max, disputed)
        pending: Step | None = None  # the last window's move, kept if the next follows it
        walked = []
        for i in chain:
            f, t = day(periods[i].start), day(periods[i].end)
            if f - 1 > ledger.last:
                if pending is not None and pending.last == f - 1:
                    ledger.go(pending)  # consecutive windows: no second pass
                else:
                    while ledger.last < f - 1:  # a gap: moved by steps of a few months
                        ledger.go(ledger.ahead(min(f - 1, ledger.last + 92), None)[0])
            asked = disputes_of is None or periods[i] in disputes_of
            pending, window = ledger.ahead(t, asked)
            walked.append(window)
        return walked

    out: dict[int, Walked] = {}
    if len(chains) == 1:
        results = [run(chains[0])]
    else:  # numpy lets go of the interpreter in its sorts, takes and sums
        with ThreadPoolExecutor(len(chains), thread_name_prefix="encaisse-walk") as pool:
            results = list(pool.map(run, chains))
    for chain, walked in zip(chains, results, strict=True):
        out.update(zip(chain, walked, strict=True))
    return [out[i] for i in range(len(periods))]


class Windows(EventWindows):
    """Periods measured together (a trend's months): their ledgers in one walk, their cost
    pools in one count, their promises and plans in one read."""

    def __init__(
        self,
        periods: Sequence[Period],
        filters: Filters,
        disputes_of: Sequence[Period] | None = None,
    ):
        super().__init__(periods, filters)
        self.disputes_of = disputes_of
        self._walked: list[Walked] | None = None
        self._pools: tuple[Pools, Pools] | None = None
        self._counting: threading.Thread | None = None
        self._pool_days = month_days(
            min(p.start for p in self.periods), max(p.end for p in self.periods)
        )

    def count_ahead(self, everyone: Columns) -> None:
        """Count everyone's cost pools of these months in a thread while the caller takes
        its filtered copy (or, unfiltered, for the first filter to find them counted)."""
        self._counting = threading.Thread(
            target=everyone_pools, args=(everyone, *self._pool_days), daemon=True
        )
        self._counting.start()

    def walked(self, cols: Columns, period: Period) -> Walked:
        if self._walked is None:  # (every measure of these windows has the same columns)
            self._walked = walk(cols, self.periods, disputes_of=self.disputes_of)
        return self._walked[self.periods.index(period)]

    def cost_pools(self, everyone: Columns, selected: Columns) -> tuple[Pools, Pools]:
        """The pools of every month of these periods (a period reads its own months)."""
        if self._counting is not None:
            self._counting.join()
            self._counting = None
        if self._pools is None:
            self._pools = cost_pools(everyone, selected, *self._pool_days)
        return self._pools


def _pool_counts(cols: Columns, lo: int, hi: int) -> tuple[int, int, list]:
    """Per pool (collection actions, completed payments) dated in days [lo, hi]: the totals by
    (month, customers' segment) key, and the first month (keys are (month − first) × width +
    segment + 1, segment −1 for a customer not in the table)."""
    segments = np.append(cols.cus_segment, -1)  # position -1: a customer not in the table
    width = len(cols.labels["segment"]) + 1
    month0 = day_month(lo)
    # counted by day, then the days of each month summed (cheaper than a month per row)
    firsts = np.arange(month0, day_month(hi) + 1).astype("datetime64[M]").astype("datetime64[D]")
    month_rows = firsts.astype(np.int64) - lo
    out = []
    for days, customers_of, weights_of in (
        (cols.act_day, lambda a, b: cols.act_cust[a:b], lambda a, b: None),
        (
            cols.cp_day,
            lambda a, b: cols.inv_cust[cols.cp_inv[a:b]],
            lambda a, b: cols.cp_amount[a:b],
        ),
    ):
        a, b = before(days, lo), after(days, hi)
        key = (days[a:b] - lo) * width + segments[customers_of(a, b)] + 1
        weights = weights_of(a, b)
        size = (hi - lo + 1) * width

        def by_month(by_day: np.ndarray) -> np.ndarray:
            return np.add.reduceat(by_day.reshape(-1, width), month_rows, axis=0).ravel()

        counts = by_month(np.bincount(key, minlength=size))
        sums = counts if weights is None else by_month(np.bincount(key, weights, minlength=size))
        out.append((counts, sums))
    return month0, width, out


def day_month(day_number: int) -> int:
    """Months since January 1970 of a day number."""
    return int(np.datetime64(day_number, "D").astype("datetime64[M]").astype(np.int64))


def month_days(first: dt.date, last: dt.date) -> tuple[int, int]:
    """The first and last day numbers of the months from ``first``'s to ``last``'s."""
    return day(month_start(first)), day(month_start(last, 1)) - 1


def everyone_pools(everyone: Columns, lo: int, hi: int) -> tuple[int, int, list]:
    """``_pool_counts`` of every customer, kept with the columns (a new filter then counts its
    own customers' rows only)."""
    cache = everyone.__dict__.setdefault("_pools", {})
    if (lo, hi) not in cache:
        if len(cache) >= 8:
            cache.clear()
        cache[(lo, hi)] = _pool_counts(everyone, lo, hi)
    return cache[(lo, hi)]


def cost_pools(everyone: Columns, selected: Columns, lo: int, hi: int) -> tuple[Pools, Pools]:
    """Per month of the days [lo, hi] (whole months) and customers' segment: the selected
    customers' and everyone's collection actions (count), and completed payments (cents)."""
    month0, width, every = everyone_pools(everyone, lo, hi)
    _, _, mine = _pool_counts(selected, lo, hi)
    labels = everyone.labels["segment"]
    out: list[Pools] = []
    for (all_counts, all_sums), (_, my_sums) in zip(every, mine, strict=True):
        pools: Pools = {}
        for k in np.flatnonzero(all_counts):
            m, code = month0 + k // width, k % width - 1
            month = f"{1970 + m // 12:04d}-{m % 12 + 1:02d}"
            mine_k = int(round(my_sums[k])) if k < len(my_sums) else 0
            pools[(month, labels[code] if code >= 0 else None)] = (mine_k, int(round(all_sums[k])))
        out.append(pools)
    return out[0], out[1]


class ColumnarMeasures(EventMeasures):
    """The ``Measures`` of one period and filter, computed from ``Columns``; the few events
    (promises, plans, disputes) are read from the store like the SQL engine reads them."""

    def __init__(
        self,
        cols: Columns,
        period: Period,
        filters: Filters,
        store: Engine,
        windows: Windows | None = None,
    ):
        self.cols, self.period, self.filters, self.store = cols, period, filters, store
        self.windows = windows
        self.f, self.t = day(period.start), day(period.end)
        self.has_cost_data = cols.has_cost_data()  # of the whole store, before any filter
        sel = cols.selection(filters.segments, filters.regions, filters.collectors)
        self.everyone, self.selection = cols, sel  # shared costs weigh against everyone
        if sel is not None:  # every block below then reads the selected customers' rows only
            self.cols = cols.subset(sel)

    def _events_connection(self):
        return self.store.connect()

    @property
    def days(self) -> int:
        return self.period.days

    @cached_property
    def _walked(self) -> Walked:
        if self.windows is not None:  # measured with other periods: one walk for them all
            return self.windows.walked(self.cols, self.period)
        return self._walked_alone

    @cached_property
    def _walked_alone(self) -> Walked:
        """This window walked alone, keeping its open disputes' invoices and amounts (the
        figures per owner read them)."""
        return walk(self.cols, [self.period], disputed=True)[0]

    @property
    def ledger(self) -> LedgerTotals:
        return self._walked.ledger

    def _days(self, days: np.ndarray) -> slice:
        return slice(before(days, self.f), after(days, self.t))

    @cached_property
    def payments(self) -> PaymentTotals:
        c = self.cols
        done, other = self._days(c.cp_day), self._days(c.xp_day)
        failed = other.stop - other.start
        return PaymentTotals(
            collected_cents=int(c.cp_amount[done].sum()),
            records=done.stop - done.start + failed,
            failed=failed,
        )

    @cached_property
    def settlements(self) -> Settlements:
        c = self.cols
        mask = (c.inv_settled >= self.f) & (c.inv_settled <= self.t)
        amount = c.inv_amount[mask].astype(np.int64)
        late = c.inv_settled[mask].astype(np.int64) - c.inv_due[mask]
        return Settlements(int(amount.sum()), int((amount * late).sum()))

    @cached_property
    def issued_by_month(self) -> dict[str, int]:
        c = self.cols
        out = {}
        # invoices are in issue order: each month's invoices are one slice, summed in place
        for k in range(-23, 1):
            first = month_start(self.period.end, k)
            lo = before(c.inv_issue, day(first))
            hi = min(before(c.inv_issue, day(month_start(first, 1))), after(c.inv_issue, self.t))
            if hi > lo:
                out[f"{first:%Y-%m}"] = int(c.inv_amount[lo:hi].sum())
        return out

    @cached_property
    def action_cost_cents(self) -> int:
        return int(self.cols.act_cost[self._days(self.cols.act_day)].sum())

    @cached_property
    def overhead_cost_cents(self) -> float:
        first, last = f"{self.period.start:%Y-%m}", f"{self.period.end:%Y-%m}"
        lines = [line for line in self.cols.costs if first <= line[0] <= last]
        filtered = self.selection is not None
        return overhead_cost(lines, self.period, filtered, lambda: self.cost_pools)

    @cached_property
    def cost_pools(self) -> tuple[Pools, Pools]:
        if self.windows is not None:
            return self.windows.cost_pools(self.everyone, self.cols)
        lo, hi = month_days(self.period.start, self.period.end)
        return cost_pools(self.everyone, self.cols, lo, hi)

    @cached_property
    def surveys(self) -> SurveyCounts:
        c = self.cols
        s = self._days(c.sur_day)
        typ, score = c.sur_type[s], c.sur_score[s]
        csat, nps, ces = typ == 0, typ == 1, typ == 2
        return SurveyCounts(
            csat_n=int(csat.sum()),
            csat_ok=int((csat & (score >= 4)).sum()),
            nps_n=int(nps.sum()),
            promoters=int((nps & (score >= 9)).sum()),
            detractors=int((nps & (score <= 6)).sum()),
            ces_n=int(ces.sum()),
            ces_sum=int(score[ces].sum()),
        )

    @cached_property
    def _record_owners(self) -> tuple[list[str], np.ndarray]:
        """Every reason record's owner: its own, else its reason's in the taxonomy, else the
        fallback (as positions in the names returned)."""
        c = self.cols
        # one owner list: the records' own owners, then each code's owner in the taxonomy
        names = list(c.labels["owner"])
        position = {n: i for i, n in enumerate(names)}
        of_code = []
        for code in c.labels["reason"]:
            name = c.reason_owners.get(code)
            name = FALLBACK_OWNER if name is None else name
            of_code.append(position.setdefault(name, len(names)))
            if len(names) < len(position):
                names.append(name)
        own = c.rea_owner
        if not len(of_code):
            return names, own.astype(np.int64)
        return names, np.where(own >= 0, own, np.asarray(of_code, dtype=np.int64)[c.rea_reason])

    @cached_property
    def _reason_records(self) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray]:
        """Distinct (reason, owner, invoice) of invoices due in P: the owner names, and per
        record its reason code, owner position and invoice."""
        c = self.cols
        inv = c.rea_inv
        mask = (c.inv_due[inv] >= self.f) & (c.inv_due[inv] <= self.t)
        names, owners = self._record_owners
        reason, owner, inv = c.rea_reason[mask], owners[mask], inv[mask]
        n_inv = self.cols.invoice_count + 1
        key = (reason.astype(np.int64) * (len(names) + 1) + owner) * n_inv + inv
        key = distinct(key)
        inv = key % n_inv
        pair = key // n_inv
        return names, pair // (len(names) + 1), pair % (len(names) + 1), inv

    @cached_property
    def dispute_owners(self) -> dict[str, dict]:
        """``events.dispute_details``' figures per owner, from the arrays: open disputes at T
        (invoices, their open amounts, the oldest record's age) and the median resolution
        days of those resolved in P; owners of records open at T or resolved in P."""
        c, f, t = self.cols, self.f, self.t
        names, owners = self._record_owners
        inv, recorded, resolved = c.rea_inv, c.rea_recorded, c.rea_resolved
        known = (inv < after(c.inv_issue, t)) & (recorded <= t)
        opened = known & (resolved > t)
        done = known & (resolved >= f) & (resolved <= t)
        w = self._walked_alone  # the open disputes' invoices and their open amounts
        out: dict[str, dict] = {}
        for k in sorted(set(owners[opened | done].tolist()), key=lambda k: names[k]):
            mine = opened & (owners == k)
            ids = distinct(inv[mine], ordered=True)  # records are in invoice order
            owed = w.disputed_open[np.searchsorted(w.disputed, ids)] if len(ids) else ids
            ended = done & (owners == k)
            spans = resolved[ended].astype(np.int64) - recorded[ended]
            out[names[k]] = {
                "open_invoices": len(ids),
                "open_cents": int(owed.sum()),
                "oldest_days": int(t - recorded[mine].min()) if mine.any() else None,
                "resolution_days": float(statistics.median(spans.tolist())) if len(spans) else None,
            }
        return out

    def _grouped(self, groups: np.ndarray, inv: np.ndarray) -> tuple[np.ndarray, ...]:
        """Per distinct group value: the value, the number of invoices and Σ their amounts."""
        values, where = np.unique(groups, return_inverse=True)
        counts = np.bincount(where, minlength=len(values))
        sums = np.bincount(where, weights=self.cols.inv_amount[inv], minlength=len(values))
        return values, counts, np.rint(sums).astype(np.int64)

    @cached_property
    def dispute_resolution_days(self) -> float | None:
        """The median days from recorded to resolved of the records resolved in P."""
        c, f, t = self.cols, self.f, self.t
        inv, recorded, resolved = c.rea_inv, c.rea_recorded, c.rea_resolved
        done = (inv < after(c.inv_issue, t)) & (recorded <= t) & (resolved >= f) & (resolved <= t)
        spans = (resolved[done].astype(np.int64) - recorded[done]).tolist()
        return float(statistics.median(spans)) if spans else None

    @cached_property
    def disputes(self) -> DisputeTotals:
        """``events.dispute_totals`` from the arrays (its SQL took a second at a million
        invoices): open at T, from the ledger's walk; resolved in P, the median days."""
        w = self._walked
        if w.open_disputes is None:  # walked in a trend that did not ask: this window alone
            w = self._walked_alone
        return DisputeTotals(w.open_disputes, w.open_disputed_cents, self.dispute_resolution_days)

    @cached_property
    def late_reasons(self) -> list[dict]:
        names, reason, owner, inv = self._reason_records
        width = len(names) + 1
        pairs, counts, sums = self._grouped(reason * width + owner, inv)
        codes = self.cols.labels["reason"]
        rows = [
            {
                "reason": codes[p // width],
                "owner": names[p % width],
                "invoices": int(n),
                "amount": money(a),
            }
            for p, n, a in zip(pairs, counts, sums, strict=True)
        ]
        return sorted(rows, key=lambda x: (-x["amount"], -x["invoices"], x["reason"], x["owner"]))

    @cached_property
    def owners(self) -> list[dict]:
        names, _, owner, inv = self._reason_records
        n_inv = self.cols.invoice_count + 1
        per_invoice = np.unique(owner * n_inv + inv)  # an invoice counts once per owner
        owners, counts, sums = self._grouped(per_invoice // n_inv, per_invoice % n_inv)
        rows = [
            {"owner": names[o], "invoices": int(n), "amount": money(a)}
            for o, n, a in zip(owners, counts, sums, strict=True)
        ]
        return sorted(rows, key=lambda x: (-x["amount"], -x["invoices"], x["owner"]))


# --- per customer ----------------------------------------------------------------------------


def balances(cols: Columns, end: dt.date) -> pd.DataFrame:
    """Per customer: open and overdue cents at T (customers with invoices issued by T)."""
    import pandas as pd

    t = day(end)
    n = after(cols.inv_issue, t)
    open_t = np.maximum(cols.inv_amount[:n] - cols.paid_by(t, n) - cols.off_by(t, n), 0)
    who = cols.inv_cust[:n]
    known = who >= 0
    customers = len(cols.labels["customer_id"])
    due_passed = cols.inv_due[:n] < t
    open_c = np.bincount(who[known], weights=open_t[known], minlength=customers)
    overdue_c = np.bincount(
        who[known & due_passed], weights=open_t[known & due_passed], minlength=customers
    )
    return pd.DataFrame(
        {
            "customer_id": cols.labels["customer_id"],
            "open": np.rint(open_c).astype(np.int64),
            "overdue": np.rint(overdue_c).astype(np.int64),
        }
    )


def avg_days_late_by_customer(
    cols: Columns, start: dt.date, end: dt.date, selection: Selection | None
) -> pd.DataFrame:
    """Per customer: Σ amount × (settlement − due) / Σ amount over its invoices fully paid on a
    day in [start, end] (customers with such invoices only)."""
    import pandas as pd

    settled = cols.inv_settled
    mask = (settled >= day(start)) & (settled <= day(end)) & (cols.inv_cust >= 0)
    if selection is not None:
        mask &= selection.invoices
    who, amount = cols.inv_cust[mask], cols.inv_amount[mask].astype(np.int64)
    late = settled[mask].astype(np.int64) - cols.inv_due[mask]
    frame = pd.DataFrame({"who": who, "amount": amount, "weighted": amount * late})
    sums = frame.groupby("who").sum()
    ids = np.asarray(cols.labels["customer_id"], dtype=object)[sums.index.to_numpy()]
    # integer sums divided once, as the SQL engine does
    ratio = [w / a for w, a in zip(sums["weighted"].tolist(), sums["amount"].tolist(), strict=True)]
    return pd.DataFrame({"customer_id": ids, "avg_days_late": np.asarray(ratio, dtype=float)})
