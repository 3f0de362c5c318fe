"""From checked rows to table rows: the columns each table stores, keys, and the row hash that
tells a changed row from an unchanged one on re-import."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from dashboard.storage.models import FACT_TABLES
from data_loaders.kinds import Key, Kind

BOOKKEEPING = {"id", "key", "row_hash", "batch_id", "replaced_by"}


def value_columns(table: str) -> list[str]:
    return [c.name for c in FACT_TABLES[table].__table__.columns if c.name not in BOOKKEEPING]


# The kind columns behind them (a file without the column leaves it out of its frame)
LATER_KIND_COLUMNS = frozenset({"customer_type", "credit_limit", "step", "action_time"})
# Columns added to tables that already held rows (revisions 0005 and 0006): a row that leaves
# them empty hashes as it did before they existed, so an unchanged file re-imported after the
# upgrade is still found unchanged.
LATER_COLUMNS = frozenset(
    {
        "customer_type",
        "credit_limit_cents",
        "step",
        "written_off_cents",
        "written_off_date",
        "original_currency",
        "original_amount_cents",
        "fx_rate",
        "action_time",
    }
)


def row_hash(frame: pd.DataFrame) -> pd.Series:
    """A stable 64-bit hash of the values (same values, same hash, on every run).

    The hash of each cell's text as ``str()`` writes it (a missing value as an empty text:
    parsing leaves no empty text), combined across columns. Stored, so it must never change:
    re-importing an unchanged file finds its rows unchanged by it. The ``LATER_COLUMNS`` count
    only in the rows that fill one of them.
    """
    later = [c for c in frame.columns if c in LATER_COLUMNS]
    first = [c for c in frame.columns if c not in LATER_COLUMNS]
    text = pd.DataFrame({c: column_text(frame[c]) for c in first}, index=frame.index)
    hashed = pd.util.hash_pandas_object(text, index=False)
    filled = frame[later].notna().any(axis=1) if later else None
    if filled is not None and filled.any():
        rows = frame.loc[filled, later]
        extra = pd.DataFrame({c: column_text(rows[c]) for c in later}, index=rows.index)
        extra.insert(0, "before", hashed[filled].astype(str))
        hashed = hashed.copy()
        hashed[filled] = pd.util.hash_pandas_object(extra, index=False)
    return hashed.astype("int64")


def column_text(col: pd.Series) -> pd.Series:
    """``str()`` of every cell, empty where missing: built by Arrow, not cell by cell."""
    try:
        if col.dtype == bool:
            arr = pa.array(np.where(col.to_numpy(), "True", "False"))
        elif col.dtype == "Int64" or col.dtype.kind in "iu":
            arr = pc.cast(pa.array(col, from_pandas=True), pa.string())
        elif col.dtype == object or col.dtype == "str":
            arr = pa.array(col.to_numpy(dtype=object), type=pa.string(), from_pandas=True)
        else:
            raise TypeError(col.dtype)
        return pd.Series(arr.fill_null(""), index=col.index, dtype="str")
    except (TypeError, pa.ArrowException):  # anything else, as str() writes it
        return col.astype(object).where(col.notna(), "").astype(str)


def content_key(frame: pd.DataFrame) -> pd.Series:
    return "h:" + row_hash(frame).map(lambda v: format(v & 0xFFFFFFFFFFFFFFFF, "016x"))


def key_or_content(ids: pd.Series, values: pd.DataFrame) -> pd.Series:
    """The row's own id, or for rows without one a key made from its values."""
    missing = ids.isna()
    if not missing.any():
        return ids
    return ids.where(~missing, content_key(values[missing]))


def with_keys(table: str, frame: pd.DataFrame, key: pd.Series) -> pd.DataFrame:
    # a column added later is staged only when the file can fill it (the frame has it): the
    # same for every chunk of one file, and narrower rows for the files that cannot
    cols = [c for c in value_columns(table) if c not in LATER_COLUMNS or c in frame.columns]
    frame = frame.reindex(columns=cols)
    frame.insert(0, "row_hash", row_hash(frame))
    frame.insert(0, "key", key.values)
    return frame


def shape(kind: Kind, df: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Canonical columns of a file kind -> rows of each table it writes, keyed as the kind
    declares (money columns become the table's ``*_cents``)."""
    table = kind.tables[0]
    stored = set(value_columns(table))
    df = df.rename(
        columns={
            c.name: f"{c.name}_cents"
            for c in kind.columns
            if c.type.startswith("money") and f"{c.name}_cents" in stored
        }
    )
    for column, value in kind.fill.items():
        df[column] = df[column].fillna(value)
    out = {table: with_keys(table, df, row_keys(kind.key, df, table))}
    if kind.settles:
        out["payments"] = settlement_payments(df)
    return out


def row_keys(key: Key, df: pd.DataFrame, table: str) -> pd.Series:
    """Each row's key: its id (or joined key columns), or its content where the id is empty."""
    if key.content_when_missing:
        return key_or_content(df[key.columns[0]], df.reindex(columns=value_columns(table)))
    if len(key.columns) == 1:
        return df[key.columns[0]]
    joined = df[key.columns[0]].fillna("")
    for column in key.columns[1:]:
        joined = joined + "|" + df[column].astype("string").fillna("").astype(object)
    return joined


def write_offs(df: pd.DataFrame) -> None:
    """A ledger row with status written off: its amount not paid leaves receivables on its
    paid date (the write-off's), else its due date; it is never a payment. (Canonical
    columns: ``amount``, before money columns become ``*_cents``.)"""
    off = (df["status"] == "written_off").fillna(False)
    if not off.any():
        df["written_off_cents"], df["written_off_date"] = None, None
        return
    paid = df["paid_amount"].astype("Int64").fillna(0)
    df["written_off_cents"] = (df["amount"].astype("Int64") - paid).where(off)
    df["written_off_date"] = df["paid_date"].where(df["paid_date"].notna(), df["due_date"])
    df["written_off_date"] = df["written_off_date"].where(off, None)


def settlement_payments(df: pd.DataFrame) -> pd.DataFrame:
    """A ledger row's settlement as one completed payment, keyed ``ledger:<invoice_id>``
    (paid amount, else the invoice's amount; a written-off row pays only its paid amount)."""
    paid = df[df["paid_date"].notna()].copy()
    amount = paid["paid_amount"].astype("Int64")
    if "status" in paid:
        off = (paid["status"] == "written_off").fillna(False)
        amount = amount.where(~off, amount.fillna(0))
    paid["amount_cents"] = amount.where(amount.notna(), paid["amount_cents"])
    if "original_paid_cents" in paid:  # in another currency: what was paid, in it
        own = paid["original_paid_cents"]
        paid["original_amount_cents"] = own.where(own.notna(), paid["original_amount_cents"])
    paid = paid[paid["amount_cents"] > 0]
    paid["payment_date"], paid["status"] = paid["paid_date"], "completed"
    paid["payment_id"], paid["method"] = None, None
    return with_keys("payments", paid, "ledger:" + paid["invoice_id"])


def remember_customers(df: pd.DataFrame, attrs: dict[str, dict]) -> None:
    """First-seen customer attributes of a ledger (name, segment, region, country, collector)."""
    cols = [c for c in ("name", "segment", "region", "country", "collector") if c in df]
    firsts = df.drop_duplicates("customer_id")
    for row in firsts[["customer_id", *cols]].itertuples(index=False):
        if row.customer_id not in attrs:
            attrs[row.customer_id] = {
                c: getattr(row, c) for c in cols if getattr(row, c) is not None
            }
