"""Staging: the file's rows in temporary tables of the import's connection, and the checks that
need the whole file (one key with two versions, unknown invoices)."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Integer,
    MetaData,
    String,
    Table,
    exists,
    func,
    select,
)

from dashboard.storage.models import FACT_TABLES
from dashboard.storage.store import bulk_insert
from data_loaders.checks import Context, Progress, check_rows, convert
from data_loaders.problems import ImportReport, Problem
from data_loaders.read import Part, Source
from data_loaders.rows import BOOKKEEPING, remember_customers, shape


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


def stage_table(table: str, meta: MetaData, temporary: bool = True) -> Table:
    source = FACT_TABLES[table].__table__
    # The key index is built once the file is staged (see ``_write``): one sort, instead of
    # a B-tree kept up to date row by row.
    cols = [Column("src_row", Integer), Column("key", String(300)), Column("row_hash", BigInteger)]
    cols += [Column(c.name, c.type) for c in source.columns if c.name not in BOOKKEEPING]
    return Table(f"stage_{table}", meta, *cols, prefixes=["TEMPORARY"] if temporary else [])


def check_staged(
    conn: Connection, stages: dict[str, Table], ctx: Context, report: ImportReport
) -> None:
    """Checks over the whole file: one key with two versions, references to unknown invoices."""
    kind = ctx.kind
    main = stages[kind.tables[0]]
    staged, distinct = stage_counts(conn, main)
    # min <> max: two versions of a key, found by hashing the keys, not sorting them
    clash = (
        select(main.c.key)
        .group_by(main.c.key)
        .having(func.min(main.c.row_hash) != func.max(main.c.row_hash))
        .limit(200)
        .subquery()
    )
    rows = (
        []
        if distinct == staged
        else conn.execute(  # no key twice, nothing to compare
            select(main.c.src_row, main.c.key)
            .where(main.c.key.in_(select(clash)))
            .order_by(main.c.key, main.c.src_row)
        ).all()
    )
    shown = kind.key.shown_as or kind.key.id_column
    header = ctx.headers.get(shown or "", shown or "key")
    first: dict[str, int] = {}
    for src_row, key in rows:
        if key in first:
            report.add(
                Problem(
                    src_row,
                    header,
                    key,
                    f"same key as row {first[key]} with different values",
                    "keep one row per key, or make the duplicate rows identical",
                )
            )
        else:
            first[key] = src_row
    if kind.refers_to_invoices:
        inv = FACT_TABLES["invoices"].__table__
        known = exists().where(inv.c.key == main.c.invoice_id, inv.c.replaced_by.is_(None))
        unknown = (
            select(main.c.src_row, main.c.invoice_id)
            .where(main.c.invoice_id.is_not(None), ~known)
            .order_by(main.c.src_row)
        )
        for src_row, invoice in conn.execute(unknown.limit(600)):
            report.add(
                Problem(
                    src_row,
                    ctx.headers.get("invoice_id", "invoice_id"),
                    invoice,
                    "unknown invoice",
                    "import the invoice (invoices or ledger file) "
                    "first, or correct the invoice number",
                )
            )


def stage_counts(conn: Connection, stage: Table) -> tuple[int, int]:
    """Rows staged, and distinct keys among them (counted once, kept with the table)."""
    if "counts" not in stage.info:
        stage.info["counts"] = conn.execute(
            select(func.count(), func.count(stage.c.key.distinct()))
        ).one()
    return stage.info["counts"]


def stage_file(
    conn: Connection,
    source: Source,
    ctx: Context,
    report: ImportReport,
    stages: dict[str, Table],
    attrs: dict[str, dict],
    progress: Progress | None,
    part: Part | None = None,
) -> None:
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


def stage_chunk(
    raw: pd.DataFrame,
    ctx: Context,
    report: ImportReport,
    attrs: dict[str, dict],
    write: Callable[[str, pd.DataFrame], None],
) -> None:
    """Parse and check one chunk; hand its table rows to ``write`` while all is well (a
    ledger's first-seen customer attributes go to ``attrs``)."""
    report.rows_read += len(raw)
    if raw.empty:
        return
    df = convert(ctx, raw, report)
    check_rows(df, ctx, report)
    if not report.ok:
        return  # keep reading to report every problem, stage nothing more
    if ctx.kind.settles:
        remember_customers(df, attrs)
    for table, rows in shape(ctx.kind, df).items():
        write(table, rows)
