"""The import pipeline: match headers, parse and check every row, stage, merge as one batch.

A file is read twice in chunks: once to learn each column's conventions (decimal mark, day/month
order) from all its values, once to parse, check and stage the rows in temporary tables. Checks
that need the database (duplicate keys, unknown invoices) run on the staged rows under the write
lock. Only when no problem was found are the rows merged into the live tables, in that one
transaction: a refused or killed import writes nothing, and memory does not grow with the file.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import getpass
import io
import multiprocessing
import os
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Engine,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    and_,
    create_engine,
    exists,
    func,
    insert,
    literal,
    select,
    update,
)
from sqlalchemy.schema import AddConstraint, DropConstraint

from dashboard.models import FACT_TABLES, Batch, Customer
from dashboard.store import (
    audit,
    begin_write,
    bulk_insert,
    bump_data_version,
    refresh_statistics,
    reporting_currency,
    taxonomy,
)
from data_loaders.columns import (
    KINDS,
    LABELS,
    OWNER_ALIASES,
    SCORE_RANGES,
    STATUS,
    SURVEY_TYPES,
    Kind,
    lookup,
    normalize_header,
    normalize_value,
)
from data_loaders.parse import (
    DateEvidence,
    DecimalEvidence,
    parse_bool,
    parse_code,
    parse_dates,
    parse_id,
    parse_int,
    parse_label,
    parse_money,
    parse_month,
    parse_score,
)
from data_loaders.read import FileUnreadable, Part, Source, open_source
from data_loaders.report import ImportRefused, ImportReport, Problem

Progress = Callable[[str, int], None]
BOOKKEEPING = {"id", "key", "row_hash", "batch_id", "replaced_by"}
UNASSIGNED = "Unassigned"
# Which tables each kind writes, in merge order.
TARGETS = {
    "customers": ["customers"], "invoices": ["invoices"], "ledger": ["invoices", "payments"],
    "payments": ["payments"], "actions": ["actions"], "reasons": ["reasons"],
    "surveys": ["surveys"], "costs": ["costs"],
}


def _text_limits() -> dict[str, int]:
    """Longest text each column may hold (its database length; free text up to 10,000)."""
    limits: dict[str, int] = {}
    for model in FACT_TABLES.values():
        for c in model.__table__.columns:
            if isinstance(c.type, String):
                limit = c.type.length or 10_000
                limits[c.name] = min(limits.get(c.name, limit), limit)
    return limits


TEXT_LIMITS = _text_limits()


def value_columns(table: str) -> list[str]:
    return [c.name for c in FACT_TABLES[table].__table__.columns if c.name not in BOOKKEEPING]


def default_date_order() -> str:
    """Order for columns whose dates never show it (all days <= 12): ENCAISSE_DATE_ORDER."""
    return "MDY" if os.environ.get("ENCAISSE_DATE_ORDER", "DMY").upper() == "MDY" else "DMY"


# --- header matching -----------------------------------------------------------------------

def match_headers(kind: Kind, headers: list[str], mapping: dict[str, str] | None,
                  report: ImportReport) -> dict[str, str]:
    """File header -> canonical column; records ignored columns and missing required ones."""
    forms = {form: col.name for col in kind.columns for form in col.header_forms()}
    names = {c.name for c in kind.columns}
    explicit = {normalize_header(k): v.strip() for k, v in (mapping or {}).items()}
    matched: dict[str, str] = {}
    for position, header in enumerate(headers):
        if not header:
            continue
        key = normalize_header(header)
        target = explicit.get(key) or forms.get(key)
        if key in explicit and target not in names:
            report.add(Problem(1, header, target, f"--map names an unknown {kind.name} column",
                               "use one of: " + ", ".join(sorted(names))))
            continue
        if target is None:
            report.ignored_columns.append(header)
        elif target in matched.values():
            first = next(h for h, c in matched.items() if c == target)
            report.add(Problem(1, header, None,
                               f"this column and '{first}' both mean {target}",
                               f"remove one of them, or map one elsewhere with --map "
                               f"'{header}=<column>'"))
        else:
            matched[headers[position]] = target
    for missing in set(explicit.values()) - set(matched.values()) - {None}:
        if missing in names:
            src = [k for k, v in (mapping or {}).items() if v.strip() == missing]
            report.add(Problem(1, src[0] if src else None, None,
                               "--map names a header that is not in the file",
                               "check the header's spelling (first row of the file)"))
    for col in kind.columns:
        if col.required and col.name not in matched.values():
            accepted = ", ".join(sorted({col.name, *col.synonyms[:6]}))
            report.add(Problem(1, col.name, None, "required column is missing",
                               f"add a column named one of: {accepted}; or name the "
                               f"column that holds it with --map 'Header={col.name}'"))
    report.columns = dict(matched)
    return matched


def detect_kind(headers: list[str]) -> str | None:
    """The kind whose required columns the headers cover best (ties: fewest ignored headers)."""
    best, best_score = None, (0, 0.0, 0)
    for kind in KINDS.values():
        report = ImportReport(kind.name, "")
        matched = set(match_headers(kind, headers, None, report).values())
        if kind.name == "ledger" and not matched & {"paid_date", "paid_amount"}:
            continue  # without settlement columns it is an invoices file
        required = [c.name for c in kind.columns if c.required]
        covered = sum(c in matched for c in required)
        score = (int(covered == len(required)), covered / len(required), len(matched))
        if score > best_score:
            best, best_score = kind.name, score
    return best if best_score[0] else None


# --- parsing one chunk ---------------------------------------------------------------------

@dataclass
class Context:
    """What the first pass learnt about the file, and the lookups the parsers need."""

    kind: Kind
    headers: dict[str, str]  # canonical -> file header
    decimal: dict[str, str] = field(default_factory=dict)
    date_order: dict[str, str] = field(default_factory=dict)
    currency: str = "EUR"
    reasons: dict[str, str] = field(default_factory=dict)
    owners: dict[str, str] = field(default_factory=dict)


def infer(source: Source, ctx: Context, progress: Progress | None) -> None:
    """First pass over the money and date columns only."""
    kind = ctx.kind
    money = [c.name for c in kind.columns if c.type.startswith("money") and c.name in ctx.headers]
    dates = [c.name for c in kind.columns if c.type in ("date", "month") and c.name in ctx.headers]
    dec = {c: DecimalEvidence() for c in money}
    ev = {c: DateEvidence() for c in dates}
    wanted = [ctx.headers[c] for c in money + dates]
    if wanted:
        for _, chunk in source.chunks(usecols=wanted):
            for c in money:
                dec[c].add(chunk[ctx.headers[c]])
            for c in dates:
                ev[c].add(chunk[ctx.headers[c]])
            if progress:
                progress("scanning", int(chunk.index[-1]) if len(chunk) else 0)
    ctx.decimal = {c: dec[c].mark(source.separator) for c in money}
    decided = {e.order() for e in ev.values()} - {None}
    fallback = decided.pop() if len(decided) == 1 else default_date_order()
    ctx.date_order = {c: ev[c].order() or fallback for c in dates}


def add_problems(report: ImportReport, mask: pd.Series, raw: pd.Series, header: str,
                 message: str, fix: str) -> None:
    for row in mask[mask].index[: 600]:
        report.add(Problem(int(row), header, str(raw.at[row]), message, fix))
    extra = int(mask.sum()) - min(int(mask.sum()), 600)
    report.problem_count += extra


def convert(ctx: Context, raw: pd.DataFrame, report: ImportReport) -> pd.DataFrame:
    """Parse and check one chunk; returns canonical typed columns, problems go to ``report``."""
    out = pd.DataFrame(index=raw.index)
    for col in ctx.kind.columns:
        header = ctx.headers.get(col.name)
        if header is None:
            if col.default is None and col.type not in ("bool", "currency"):
                out[col.name] = None
                continue
            # absent: parse the default (bool -> no, currency -> the reporting currency)
            s = pd.Series(col.default or "", index=raw.index, dtype="str")
        else:
            s = raw[header]
        if col.default is not None:
            s = s.where(s != "", col.default)
        shown = header or col.name
        if col.required:
            add_problems(report, s == "", s, shown, "required value is empty",
                         f"fill in {col.name} on this row, or remove the row")
        t = col.type
        if t == "id":
            out[col.name] = parse_id(s)
        elif t == "text":
            out[col.name] = s.astype(object).where(s != "", None)
        elif t.startswith("money"):
            cents, bad = parse_money(s, ctx.decimal.get(col.name, "."))
            add_problems(report, bad, s, shown, "not an amount",
                         "write a number such as 1234.56 or 1 234,56 (no text, one amount)")
            limit = (cents <= 0) if t == "money" else (cents < 0)
            limit = limit.fillna(False) & ~bad
            add_problems(report, limit, s, shown,
                         "amount must be greater than 0" if t == "money"
                         else "amount must not be negative",
                         "credit notes and refunds are not imported: remove the row or "
                         "correct the sign")
            out[col.name] = cents
        elif t == "date":
            values, bad = parse_dates(s, ctx.date_order.get(col.name, default_date_order()))
            order = ctx.date_order.get(col.name, "DMY")
            shape = "DD/MM/YYYY" if order == "DMY" else "MM/DD/YYYY"
            add_problems(report, bad, s, shown, "not a valid date",
                         f"write the date as YYYY-MM-DD or {shape} (this column is read "
                         f"{shape})")
            out[col.name] = values
        elif t == "month":
            values, bad = parse_month(s, ctx.date_order.get(col.name, default_date_order()))
            add_problems(report, bad, s, shown, "not a month", "write the month as YYYY-MM")
            out[col.name] = values
        elif t == "bool":
            values, bad = parse_bool(s)
            add_problems(report, bad, s, shown, "not a yes/no value",
                         "write yes or no (oui/non, 1/0, true/false)")
            out[col.name] = values
        elif t == "int":
            values, bad = parse_int(s)
            add_problems(report, bad, s, shown, "not a whole number of days",
                         "write a number of days such as 30")
            out[col.name] = values
        elif t == "score":
            values, bad = parse_score(s)
            add_problems(report, bad, s, shown, "not a whole-number score",
                         "write the score as a whole number")
            out[col.name] = values
        elif t == "status":
            values, bad = parse_code(s, lookup(STATUS))
            add_problems(report, bad, s, shown, "unknown payment status",
                         "use completed, failed, incomplete or input_error (or leave empty "
                         "for completed)")
            out[col.name] = values
        elif t == "survey_type":
            values, bad = parse_code(s, lookup(SURVEY_TYPES))
            add_problems(report, bad, s, shown, "unknown survey type",
                         "use csat, nps or ces")
            out[col.name] = values
        elif t == "code":
            values, bad = parse_code(s, ctx.reasons)
            add_problems(report, bad, s, shown, "unknown late-payment reason",
                         "use a code or label of the taxonomy: "
                         + ", ".join(sorted(set(ctx.reasons.values()))))
            out[col.name] = values
        elif t == "owner":
            out[col.name] = parse_label(s, ctx.owners)
        elif t == "currency":
            cur = s.str.upper().str.replace("€", "EUR", regex=False)
            other = (cur != "") & (cur != ctx.currency)
            add_problems(report, other, s, shown,
                         f"amount in another currency than {ctx.currency}",
                         f"convert this row to {ctx.currency}: exchange rates are not "
                         "supported yet")
            out[col.name] = ctx.currency
        elif t.startswith("label:"):
            out[col.name] = parse_label(s, lookup(LABELS[t.split(":", 1)[1]]))
        if (t in ("id", "text", "owner") or t.startswith("label:")) and header is not None:
            limit = TEXT_LIMITS.get(col.name, 10_000)
            # ids and free text are the cell or shorter: a file whose cells all fit needs no
            # look at the values (checked by Arrow on the cells, not value by value)
            if t in ("id", "text") and fits(s, limit):
                continue
            check_text(report, out[col.name], s, shown, limit)
    return out


def fits(raw: pd.Series, limit: int) -> bool:
    """Whether every cell is at most ``limit`` characters long and without a NUL."""
    if raw.empty:
        return True
    return bool(raw.str.len().max() <= limit) and not raw.str.contains("\x00", regex=False).any()


def check_text(report: ImportReport, values: pd.Series, raw: pd.Series, header: str,
               limit: int) -> None:
    """Text the database could not store as it is: too long, or with a NUL character."""
    text = values.dropna()
    if text.empty:
        return
    text = text.astype(str)
    long = text.str.len() > limit
    add_problems(report, long.reindex(raw.index, fill_value=False), raw.str.slice(0, 60) + "…",
                 header, f"value longer than {limit:,} characters",
                 "shorten it (an id or a name this long is most likely a shifted column)")
    nul = text.str.contains("\x00", regex=False)
    add_problems(report, nul.reindex(raw.index, fill_value=False), raw.str.replace("\x00", "␀"),
                 header, "value contains a NUL character", "remove the control character")


def check_rows(kind: str, df: pd.DataFrame, ctx: Context, report: ImportReport) -> None:
    """Rules across columns of one row."""
    h = ctx.headers
    if kind == "surveys":
        for stype, (lo, hi) in SCORE_RANGES.items():
            bad = (df["survey_type"] == stype) & df["score"].notna() & ~df["score"].between(lo, hi)
            add_problems(report, bad.fillna(False), df["score"].astype(str), h["score"],
                         f"{stype} score out of range",
                         f"a {stype} score is a whole number from {lo} to {hi}")
    if kind == "ledger" and "paid_amount" in h:
        orphan = df["paid_amount"].notna() & df["paid_date"].isna()
        add_problems(report, orphan, df["paid_amount"].astype(str), h["paid_amount"],
                     "a paid amount without a paid date",
                     "fill in the paid date, or empty the paid amount")
    if "due_date" in df and "issue_date" in df:
        early = (df["due_date"] < df["issue_date"]).fillna(False)
        if early.any():
            report.notes.append(f"Note: {int(early.sum())} row(s) have a due date before the "
                                f"issue date (first at row {int(early[early].index[0])}).")


# --- shaping into table rows ---------------------------------------------------------------

def row_hash(frame: pd.DataFrame) -> pd.Series:
    """A stable 64-bit hash of the values (same values, same hash, on every run).

    The hash of each cell's text as ``str()`` writes it (a missing value as an empty text:
    parsing leaves no empty text), combined across columns. Stored, so it must never change:
    re-importing an unchanged file finds its rows unchanged by it.
    """
    text = pd.DataFrame({c: cell_text(frame[c]) for c in frame.columns}, index=frame.index)
    return pd.util.hash_pandas_object(text, index=False).astype("int64")


def cell_text(col: pd.Series) -> pd.Series:
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
    cols = value_columns(table)
    frame = frame.reindex(columns=cols)
    frame.insert(0, "row_hash", row_hash(frame))
    frame.insert(0, "key", key.values)
    return frame


def shape(kind: str, df: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Canonical columns of a file kind -> rows of each table it writes."""
    df = df.rename(columns={"amount": "amount_cents", "cost": "cost_cents",
                            "promised_amount": "promised_amount_cents"})
    if kind == "customers":
        df["segment"] = df["segment"].fillna(UNASSIGNED)
        return {"customers": with_keys("customers", df, df["customer_id"])}
    if kind in ("invoices", "ledger"):
        out = {"invoices": with_keys("invoices", df, df["invoice_id"])}
        if kind == "ledger":
            paid = df[df["paid_date"].notna()].copy()
            amount = paid["paid_amount"].astype("Int64")
            paid["amount_cents"] = amount.where(amount.notna(), paid["amount_cents"])
            paid = paid[paid["amount_cents"] > 0]
            paid["payment_date"], paid["status"] = paid["paid_date"], "completed"
            paid["payment_id"], paid["method"] = None, None
            out["payments"] = with_keys("payments", paid, "ledger:" + paid["invoice_id"])
        return out
    if kind == "payments":
        key = key_or_content(df["payment_id"], df.reindex(columns=value_columns("payments")))
        return {"payments": with_keys("payments", df, key)}
    if kind == "actions":
        key = key_or_content(df["action_id"], df.reindex(columns=value_columns("actions")))
        return {"actions": with_keys("actions", df, key)}
    if kind == "reasons":
        return {"reasons": with_keys("reasons", df, df["invoice_id"] + "|" + df["reason"])}
    if kind == "surveys":
        key = key_or_content(df["response_id"], df.reindex(columns=value_columns("surveys")))
        return {"surveys": with_keys("surveys", df, key)}
    if kind == "costs":
        key = (df["month"] + "|" + df["category"] + "|" + df["channel"].fillna("")
               + "|" + df["segment"].fillna(""))
        return {"costs": with_keys("costs", df, key)}
    raise ValueError(kind)


def csv_rows(frame: pd.DataFrame) -> bytes:
    """A frame's rows, its index (the file row) first, as CSV for PostgreSQL's COPY, written by
    Arrow without a Python tuple per row: strings always quoted, a missing value never, so
    that COPY tells NULL from "". ValueError where Arrow cannot type a column."""
    try:
        rows = pa.Table.from_pandas(frame.reset_index(names="src_row"), preserve_index=False)
    except (pa.ArrowException, TypeError) as exc:
        raise ValueError(str(exc)) from None
    buffer = io.BytesIO()
    pacsv.write_csv(rows, buffer, pacsv.WriteOptions(include_header=False))
    return buffer.getvalue()


def copy_frame(conn: Connection, table: str, frame: pd.DataFrame) -> bool:
    """PostgreSQL: COPY a frame's rows; False (nothing written) where Arrow cannot."""
    try:
        data = csv_rows(frame)
    except ValueError:
        return False
    copy_csv(conn, table, ["src_row", *frame.columns], [data])
    return True


def copy_csv(conn: Connection, table: str, columns: list[str], blocks: Iterable[bytes]) -> None:
    """PostgreSQL: COPY rows written by ``csv_rows`` (in any number of blocks)."""
    cursor = conn.connection.driver_connection.cursor()
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN (FORMAT csv)") as copy:
        for block in blocks:
            copy.write(block)


def as_tuples(frame: pd.DataFrame, index: bool = True) -> list[tuple]:
    """Rows for the database driver: None for missing values, the index (file row) first."""
    columns = [frame.index.to_series()] if index else []
    columns += [frame[c] for c in frame.columns]
    lists = []
    for col in columns:
        if col.dtype == object and not col.isna().any():
            lists.append(col.tolist())
        else:
            lists.append(col.astype(object).where(col.notna(), None).tolist())
    return list(zip(*lists, strict=True))


# --- staging and merging -------------------------------------------------------------------

def stage_table(table: str, meta: MetaData, temporary: bool = True) -> Table:
    source = FACT_TABLES[table].__table__
    # The key index is built once the file is staged (see ``_write``): one sort, instead of
    # a B-tree kept up to date row by row.
    cols = [Column("src_row", Integer), Column("key", String(300)),
            Column("row_hash", BigInteger)]
    cols += [Column(c.name, c.type) for c in source.columns if c.name not in BOOKKEEPING]
    return Table(f"stage_{table}", meta, *cols, prefixes=["TEMPORARY"] if temporary else [])


def check_staged(conn: Connection, kind: Kind, stages: dict[str, Table], ctx: Context,
                 report: ImportReport) -> None:
    """Checks over the whole file: one key with two versions, references to unknown invoices."""
    main = stages[TARGETS[kind.name][0]]
    staged, distinct = stage_counts(conn, main)
    # min <> max: two versions of a key, found by hashing the keys, not sorting them
    clash = (select(main.c.key).group_by(main.c.key)
             .having(func.min(main.c.row_hash) != func.max(main.c.row_hash))
             .limit(200).subquery())
    rows = [] if distinct == staged else conn.execute(  # no key twice, nothing to compare
        select(main.c.src_row, main.c.key).where(main.c.key.in_(select(clash)))
        .order_by(main.c.key, main.c.src_row)).all()
    id_col = kind.id_column or ("reason" if kind.name == "reasons" else None)
    header = ctx.headers.get(id_col or "", id_col or "key")
    first: dict[str, int] = {}
    for src_row, key in rows:
        if key in first:
            report.add(Problem(src_row, header, key,
                               f"same key as row {first[key]} with different values",
                               "keep one row per key, or make the duplicate rows identical"))
        else:
            first[key] = src_row
    if kind.name in ("payments", "reasons", "actions"):
        inv = FACT_TABLES["invoices"].__table__
        known = exists().where(inv.c.key == main.c.invoice_id, inv.c.replaced_by.is_(None))
        unknown = (select(main.c.src_row, main.c.invoice_id)
                   .where(main.c.invoice_id.is_not(None), ~known).order_by(main.c.src_row))
        for src_row, invoice in conn.execute(unknown.limit(600)):
            report.add(Problem(src_row, ctx.headers.get("invoice_id", "invoice_id"), invoice,
                               "unknown invoice", "import the invoice (invoices or ledger file) "
                               "first, or correct the invoice number"))


def stage_counts(conn: Connection, stage: Table) -> tuple[int, int]:
    """Rows staged, and distinct keys among them (counted once, kept with the table)."""
    if "counts" not in stage.info:
        stage.info["counts"] = conn.execute(
            select(func.count(), func.count(stage.c.key.distinct()))).one()
    return stage.info["counts"]


def merge(conn: Connection, table: str, stage: Table, batch_id: int) -> tuple[int, int, int]:
    """Supersede changed rows, insert new versions; returns (added, replaced, unchanged)."""
    t = FACT_TABLES[table].__table__
    # Driven from the staged keys through the live-key index, never a scan of the target.
    current = t.alias("current")
    changed = (select(stage.c.key)
               .join(current, and_(current.c.key == stage.c.key, current.c.replaced_by.is_(None)))
               .where(current.c.row_hash != stage.c.row_hash))
    conn.execute(update(t).where(t.c.replaced_by.is_(None), t.c.key.in_(changed))
                 .values(replaced_by=batch_id))
    cols = ["key", "row_hash", *value_columns(table)]
    staged, distinct = stage_counts(conn, stage)
    # Each guard costs a lookup per staged row: skipped when it cannot exclude anything (no
    # key staged twice; no live row at all, e.g. a first load).
    guards = []
    if distinct < staged:  # a key repeated with the same values: its first row only
        earlier = stage.alias("earlier")
        guards.append(~exists().where(earlier.c.key == stage.c.key,
                                      earlier.c.src_row < stage.c.src_row))
    live = conn.execute(select(t.c.id).where(t.c.replaced_by.is_(None)).limit(1)).first()
    if live:
        guards.append(~exists().where(t.c.key == stage.c.key, t.c.replaced_by.is_(None)))
    pick = select(*[stage.c[c] for c in cols], literal(batch_id)).where(*guards)
    rebuilt = bulk_indexes(conn, t, staged, looked_up=bool(live))
    # PostgreSQL checks the batch reference with a trigger per row (3.4 s per million):
    # dropped with the indexes, and validated again by one join when added back
    refs = list(t.foreign_key_constraints) if rebuilt and conn.dialect.name == "postgresql" \
        else []
    for constraint in refs:
        conn.execute(DropConstraint(constraint))
    for index in rebuilt:
        index.drop(conn)
    conn.execute(insert(t).from_select([*cols, "batch_id"], pick))
    for index in rebuilt:
        index.create(conn)
    for constraint in refs:
        conn.execute(AddConstraint(constraint))
    # Counted, not taken from rowcount: drivers disagree on it for INSERT ... SELECT.
    replaced = count_rows(conn, t, t.c.replaced_by == batch_id)
    inserted = count_rows(conn, t, t.c.batch_id == batch_id)
    return inserted - replaced, replaced, distinct - inserted


# A batch this many times the rows a table holds loads faster into a table without its
# secondary indexes, rebuilt by one sort each afterwards, than through indexes kept up to date
# row by row (measured at 1M rows: PostgreSQL 2.3 + 3.7 s against 14 s; SQLite 0.9 + 3.0 s
# against 5.5 s, so SQLite only gains on a nearly empty table).
REBUILD_WHEN_BATCH_OVER = {"postgresql": 0.5, "sqlite": 2.5}


def bulk_indexes(conn: Connection, t: Table, staged: int, looked_up: bool) -> list[Index]:
    """The indexes to drop and rebuild around this batch's insert (none for a small batch).

    The live-key index too, unless SQLite looks keys up in it during the insert
    (``looked_up``; PostgreSQL hashes them instead): building that unique index again checks
    that the batch left one live row per key. On PostgreSQL, dropping an index locks the table
    until the import commits, so readers wait for a first load; a small batch never does.
    """
    factor = REBUILD_WHEN_BATCH_OVER.get(conn.dialect.name)
    if factor is None:
        return []
    # ids only grow, so the largest one bounds the rows held (superseded versions included)
    held = conn.execute(select(func.coalesce(func.max(t.c.id), 0))).scalar_one()
    if staged < 10_000 or staged < factor * held:
        return []
    keep = "uq_" if looked_up and conn.dialect.name == "sqlite" else None
    return sorted((ix for ix in t.indexes if not (keep and ix.name.startswith(keep))),
                  key=lambda ix: ix.name)


def retire_ledger_payments(conn: Connection, stages: dict[str, Table], batch_id: int) -> int:
    """A re-stated ledger row without a settlement supersedes the payment it once had."""
    p, si, sp = FACT_TABLES["payments"].__table__, stages["invoices"], stages["payments"]
    restated = select(literal("ledger:") + si.c.invoice_id)
    still_paid = select(sp.c.key)
    retire = p.c.replaced_by.is_(None) & p.c.key.in_(restated) & p.c.key.not_in(still_paid)
    before = count_rows(conn, p, p.c.replaced_by == batch_id)
    conn.execute(update(p).where(retire).values(replaced_by=batch_id))
    return count_rows(conn, p, p.c.replaced_by == batch_id) - before


def count_rows(conn: Connection, table: Table, condition) -> int:
    return conn.execute(select(func.count()).select_from(table).where(condition)).scalar_one()


def create_customers(conn: Connection, stages: dict[str, Table], attrs: dict[str, dict],
                     batch_id: int) -> list[str]:
    """Customers referenced by the file but unknown: created in segment Unassigned (with what
    a ledger said of them)."""
    c = Customer.__table__
    ids: set[str] = set()
    for stage in stages.values():
        if "customer_id" in stage.c:  # found in the database: memory stays flat
            known = exists().where(c.c.key == stage.c.customer_id, c.c.replaced_by.is_(None))
            ids |= set(conn.execute(select(stage.c.customer_id).distinct().where(~known))
                       .scalars())
    if not ids:
        return []
    ordered = sorted(ids)
    frame = pd.DataFrame([{"customer_id": i, **attrs.get(i, {})} for i in ordered])
    frame["segment"] = frame.get("segment", pd.Series(index=frame.index, dtype=object))
    frame["segment"] = frame["segment"].fillna(UNASSIGNED)
    rows = with_keys("customers", frame, frame["customer_id"])
    rows["batch_id"] = batch_id
    bulk_insert(conn, "customers", list(rows.columns), as_tuples(rows, index=False))
    return ordered


# --- the entry point -----------------------------------------------------------------------

def import_file(engine: Engine, kind: str, path: str | Path, *, sheet: str | None = None,
                mapping: dict[str, str] | None = None, dry_run: bool = False,
                user: str | None = None, name: str | None = None,
                progress: Progress | None = None, upload: bool = False) -> ImportReport:
    """Import one file of ``kind``; raises ``ImportRefused`` (nothing written) on any problem.
    ``upload``: the file came through the dashboard (its size is limited too)."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}; use one of {', '.join(KINDS)}")
    spec = KINDS[kind]
    report = ImportReport(kind=kind, file=name or Path(path).name, dry_run=dry_run)
    try:
        source = open_source(path, sheet=sheet, name=name, upload=upload)
        report.sha256 = source.sha256
        headers = [h.strip() for h in source.header()]
    except FileUnreadable as exc:
        report.add(exc.problem)
        raise ImportRefused(report) from None
    if not any(headers):
        report.add(Problem(1, None, None, "the header row is empty",
                           "put the column names on the first row"))
        raise ImportRefused(report)
    matched = match_headers(spec, headers, mapping, report)
    if not report.ok:
        raise ImportRefused(report)
    ctx = Context(spec, {v: k for k, v in matched.items()}, currency=reporting_currency(engine))
    codes = taxonomy(engine)
    ctx.reasons = {normalize_value(v): r["code"] for r in codes
                   for v in (r["code"], r["label_en"], r["label_fr"])}
    ctx.owners = lookup({o: (*a, o) for o, a in OWNER_ALIASES.items()})
    helper = Helper.for_source(source)
    try:
        infer(source, ctx, progress)
        return _write(engine, source, ctx, report, user, progress, helper)
    except FileUnreadable as exc:
        report.add(exc.problem)
        raise ImportRefused(report) from None
    finally:
        if helper:
            helper.close()


def _write(engine: Engine, source: Source, ctx: Context, report: ImportReport,
           user: str | None, progress: Progress | None,
           helper: Helper | None = None) -> ImportReport:
    """Stage and check, then merge as one batch.

    Staging writes only temporary tables of this connection, in a transaction of its own, so
    it holds no lock: several files can be read and checked at once. The merge then takes the
    write lock (``begin_write``), checks against the live tables and writes the batch in one
    transaction: two imports land one after the other, and a process killed at any moment
    leaves the database as it was (the temporary tables die with the connection).
    """
    kind = ctx.kind.name
    tables = TARGETS[kind]
    meta = MetaData()
    stages = {t: stage_table(t, meta) for t in tables}
    attrs: dict[str, dict] = {}
    with engine.connect() as conn:
        try:
            try:
                stage_all(conn, source, ctx, report, stages, attrs, progress, helper)
            except HelperFailed:  # the second process broke: this one reads the whole file
                report.rows_read, report.problem_count = 0, 0
                report.problems.clear()
                report.notes.clear()
                attrs.clear()
                stage_all(conn, source, ctx, report, stages, attrs, progress, None)
            if report.rows_read == 0:
                report.add(Problem(None, None, None, "the file has a header but no data rows",
                                   "export the data rows too"))
            if report.ok and conn.dialect.name == "sqlite":
                with conn.begin():
                    # SQLite looks staged keys up one by one; PostgreSQL hashes them (its
                    # index on a million staged keys cost 0.8 s and was not used)
                    for stage in stages.values():
                        Index(f"ix_{stage.name}_key", stage.c.key).create(conn)
            if not report.ok:
                raise ImportRefused(report)
            with begin_write(conn) as tx:
                check_staged(conn, ctx.kind, stages, ctx, report)
                if not report.ok:
                    tx.rollback()
                    raise ImportRefused(report)
                merge_batch(conn, source, ctx, report, stages, attrs, user)
                if report.dry_run:
                    tx.rollback()
            if not report.dry_run:
                report.committed = True
                refresh_statistics(engine, {*tables, "customers"})
            if progress:
                progress("done", report.rows_read)
            return report
        finally:
            if conn.in_transaction():
                conn.rollback()
            if engine.dialect.name == "postgresql" or engine.url.database not in (None, "",
                                                                                ":memory:"):
                # the temporary tables die with the connection, their file at once (dropping
                # them frees a million rows page by page: 0.4 s on SQLite)
                conn.invalidate()
            else:
                with conn.begin():
                    for stage in stages.values():
                        stage.drop(conn, checkfirst=True)


def stage_all(conn: Connection, source: Source, ctx: Context, report: ImportReport,
              stages: dict[str, Table], attrs: dict[str, dict], progress: Progress | None,
              helper: Helper | None) -> None:
    """Stage the file, its last part in the second process when there is one and the file
    can be cut; the rows keep the file's order (this process's part first)."""
    with conn.begin():
        for stage in stages.values():
            stage.create(conn)
        part = helper.start(source, ctx, conn.dialect.name) if helper else None
        stage_file(conn, source, ctx, report, stages, attrs, progress, part)
        if part is not None:
            helper.collect(conn, report, attrs, stages)
    if part is not None and conn.dialect.name == "sqlite" and report.ok:
        helper.attach(conn, stages)


def stage_file(conn: Connection, source: Source, ctx: Context, report: ImportReport,
               stages: dict[str, Table], attrs: dict[str, dict],
               progress: Progress | None, part: Part | None = None) -> None:
    """Parse and check every row (of ``part`` only, if given); stage the rows while the file
    is still without problems."""

    def write(table: str, rows: pd.DataFrame) -> None:
        name = stages[table].name
        if conn.dialect.name != "postgresql" or not copy_frame(conn, name, rows):
            bulk_insert(conn, name, ["src_row", *rows.columns], as_tuples(rows))

    for _, raw in source.chunks(part=part):
        stage_chunk(raw, ctx, report, attrs, write)
        if progress:
            progress("checking", report.rows_read)


def stage_chunk(raw: pd.DataFrame, ctx: Context, report: ImportReport,
                attrs: dict[str, dict], write: Callable[[str, pd.DataFrame], None]) -> None:
    """Parse and check one chunk; hand its table rows to ``write`` while all is well (a
    ledger's first-seen customer attributes go to ``attrs``)."""
    kind = ctx.kind.name
    report.rows_read += len(raw)
    if raw.empty:
        return
    df = convert(ctx, raw, report)
    check_rows(kind, df, ctx, report)
    if not report.ok:
        return  # keep reading to report every problem, stage nothing more
    if kind == "ledger":
        remember_customers(df, attrs)
    for table, rows in shape(kind, df).items():
        write(table, rows)


def merge_batch(conn: Connection, source: Source, ctx: Context, report: ImportReport,
                stages: dict[str, Table], attrs: dict[str, dict], user: str | None) -> None:
    """Inside the write transaction: record the batch, merge every table, audit it."""
    kind = ctx.kind.name
    who = user or getpass.getuser()
    batch_id = conn.execute(insert(Batch.__table__).values(
        kind=kind, file_name=report.file, sha256=source.sha256, imported_by=who,
        imported_at=dt.datetime.now(dt.UTC)).returning(Batch.__table__.c.id)).scalar_one()
    for table in TARGETS[kind]:
        added, replaced, unchanged = merge(conn, table, stages[table], batch_id)
        report.added += added
        report.replaced += replaced
        report.unchanged += unchanged
    if kind == "ledger":
        report.replaced += retire_ledger_payments(conn, stages, batch_id)
    if kind != "customers":
        report.customers_created = create_customers(conn, stages, attrs, batch_id)
    conn.execute(update(Batch.__table__).where(Batch.__table__.c.id == batch_id).values(
        rows_read=report.rows_read, rows_added=report.added,
        rows_replaced=report.replaced, rows_unchanged=report.unchanged,
        customers_created=len(report.customers_created)))
    bump_data_version(conn)
    audit(conn, who, "import", f"batch {batch_id}: {kind} {report.file} ({report.rows_read} "
          f"rows, {report.added} added, {report.replaced} replaced)")
    if not report.dry_run:
        report.batch_id = batch_id


def remember_customers(df: pd.DataFrame, attrs: dict[str, dict]) -> None:
    """First-seen customer attributes of a ledger (name, segment, region, country, collector)."""
    cols = [c for c in ("name", "segment", "region", "country", "collector") if c in df]
    firsts = df.drop_duplicates("customer_id")
    for row in firsts[["customer_id", *cols]].itertuples(index=False):
        if row.customer_id not in attrs:
            attrs[row.customer_id] = {c: getattr(row, c) for c in cols
                                      if getattr(row, c) is not None}



# --- a second process for big files --------------------------------------------------------

PARALLEL_MIN_BYTES = 16 << 20  # about 250k rows: below, starting a process does not pay
# The second process takes the file's last part; started by ``spawn`` it first imports its
# modules (1.5 s), so it takes less.
SECOND_SHARE = {"fork": 0.52, "spawn": 0.42}


class HelperFailed(RuntimeError):
    """The second process died or failed: this process stages the whole file instead."""


class Helper:
    """A second process that parses, checks and stages the last part of a big CSV file while
    this one does the first part: two cores, nearly half the time.

    It writes its rows to a scratch folder (an SQLite file, or CSV for PostgreSQL's COPY) that
    this process then loads into its staging tables; its problems and first-seen customers
    join this process's report after its own. Started before the first pass, so that it is
    ready when the file has been scanned; ``ENCAISSE_IMPORT_WORKERS=1`` turns it off.
    """

    def __init__(self, method: str | None = None) -> None:
        # fork is instant, but only safe from a process without threads (the command line);
        # the app's server has threads, and spawns
        self.method = method or ("fork" if threading.active_count() == 1 else "spawn")
        mp = multiprocessing.get_context(self.method)
        self.folder = Path(tempfile.mkdtemp(prefix="encaisse-import-"))
        self.jobs, jobs_end = mp.Pipe()
        self.process = mp.Process(target=helper_main, args=(jobs_end, os.getpid()),
                                  daemon=True)
        self.process.start()
        jobs_end.close()
        self.result: dict | None = None

    @classmethod
    def for_source(cls, source: Source) -> Helper | None:
        wanted = os.environ.get("ENCAISSE_IMPORT_WORKERS", "2").strip() != "1"
        if not (wanted and (os.cpu_count() or 1) > 1 and source.format == "csv"
                and source.path.stat().st_size >= PARALLEL_MIN_BYTES):
            return None
        return cls()

    def start(self, source: Source, ctx: Context, dialect: str) -> Part | None:
        """Hand the last part to the second process; returns this process's part (None: the
        file cannot be cut, this process reads it all)."""
        parts = source.split(1 - SECOND_SHARE[self.method])
        if parts is None:
            return None
        try:
            self.jobs.send((source, ctx, parts[1], dialect, str(self.folder)))
        except OSError as exc:
            raise HelperFailed(str(exc)) from None
        return parts[0]

    def collect(self, conn: Connection, report: ImportReport, attrs: dict[str, dict],
                stages: dict[str, Table]) -> None:
        """Wait for the second process; add its problems, customers and (PostgreSQL) rows."""
        try:
            outcome, result = self.jobs.recv()
        except (EOFError, OSError):
            raise HelperFailed("the second process ended without an answer") from None
        if outcome == "unreadable":
            raise FileUnreadable(result)
        if outcome != "done":
            raise HelperFailed(result)
        report.rows_read += result["rows_read"]
        for problem in result["problems"]:
            report.add(problem)
        report.problem_count += result["problem_count"] - len(result["problems"])
        report.notes += result["notes"]
        for customer, seen in result["attrs"].items():
            attrs.setdefault(customer, seen)
        self.result = result
        if conn.dialect.name == "postgresql" and report.ok:
            for table, columns in result["files"].items():
                with open(self.folder / f"{table}.csv", "rb") as f:
                    copy_csv(conn, stages[table].name, columns,
                             iter(lambda f=f: f.read(1 << 20), b""))

    def attach(self, conn: Connection, stages: dict[str, Table]) -> None:
        """SQLite: append the second process's staged rows (after this process's own)."""
        if not (self.result and self.result["files"]):
            return
        raw = conn.connection.driver_connection
        raw.execute("ATTACH DATABASE ? AS part", (str(self.folder / "part.db"),))
        try:
            with conn.begin():
                for table, columns in self.result["files"].items():
                    cols = ", ".join(columns)
                    conn.exec_driver_sql(f"INSERT INTO temp.{stages[table].name} ({cols}) "
                                         f"SELECT {cols} FROM part.{stages[table].name}")
        finally:
            raw.execute("DETACH DATABASE part")

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.jobs.close()  # an idle second process sees the pipe close, and ends
        self.process.join(timeout=0.5)
        if self.process.is_alive():  # still reading for an import that ended
            self.process.terminate()
            self.process.join()
        shutil.rmtree(self.folder, ignore_errors=True)


def helper_main(jobs, parent: int) -> None:
    """The second process: wait for one part to stage, answer with what it found."""
    try:
        job = jobs.recv()
    except EOFError:
        return
    try:
        jobs.send(("done", stage_part(*job, parent=parent)))
    except FileUnreadable as exc:
        jobs.send(("unreadable", exc.problem))
    except Exception as exc:  # noqa: BLE001 - any failure: the first process stages it all
        jobs.send(("failed", f"{type(exc).__name__}: {exc}"))


def stage_part(source: Source, ctx: Context, part: Part, dialect: str, folder: str,
               parent: int | None = None) -> dict:
    """Parse, check and write one part of a file into ``folder``; the report's pieces.
    Stops (removing ``folder``) if the ``parent`` process is gone (killed: nobody waits)."""
    kind = ctx.kind.name
    report = ImportReport(kind, source.name)
    attrs: dict[str, dict] = {}
    files: dict[str, list[str]] = {}
    meta = MetaData()
    stages = {t: stage_table(t, meta, temporary=False) for t in TARGETS[kind]}
    scratch = create_engine(f"sqlite:///{Path(folder) / 'part.db'}") \
        if dialect == "sqlite" else None
    db = scratch.connect() if scratch else None

    def write(table: str, rows: pd.DataFrame) -> None:
        columns = ["src_row", *rows.columns]
        if table not in files:
            files[table] = columns
            if db is not None:
                stages[table].create(db)
        if db is not None:
            bulk_insert(db, stages[table].name, columns, as_tuples(rows))
        else:
            with open(Path(folder) / f"{table}.csv", "ab") as f:
                f.write(csv_rows(rows))

    if db is not None:  # a scratch file: no journal, no syncing
        db.exec_driver_sql("PRAGMA journal_mode=OFF")
        db.exec_driver_sql("PRAGMA synchronous=OFF")
    for _, raw in source.chunks(part=part):
        if parent is not None and os.getppid() != parent:
            shutil.rmtree(folder, ignore_errors=True)
            raise SystemExit(1)
        stage_chunk(raw, ctx, report, attrs, write)
    if db is not None:
        db.commit()
        db.close()
        scratch.dispose()
    return {"rows_read": report.rows_read, "problems": report.problems,
            "problem_count": report.problem_count, "notes": report.notes, "attrs": attrs,
            "files": files}
