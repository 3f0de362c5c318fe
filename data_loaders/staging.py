"""Staging: the file's rows in temporary tables of the import's connection, and the checks that
need the whole file (one key with two versions, unknown invoices)."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from dataclasses import replace

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
from data_loaders.checks import Context, Progress, cells, check_rows, convert
from data_loaders.problems import ImportReport, Problem
from data_loaders.read import Part, Source
from data_loaders.rows import BOOKKEEPING, remember_customers, shape, with_keys


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
        elif col.isna().all():  # a column this file leaves empty
            lists.append([None] * len(col))
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

    if ctx.kind.whole_file:
        stage_fec(conn, source, ctx, report, attrs, write, progress)
        return
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
    if ctx.scores:
        df = wide_answers(raw, ctx, report)
    else:
        df = convert(ctx, raw, report)
        if not ctx.incomplete:
            check_rows(df, ctx, report)
    if ctx.incomplete or df.empty:
        return  # a required column is missing: the values are checked, nothing is staged
    if report.bad_rows:  # a refused row is not staged (its values may not even fit a column)
        bad = df.index.isin(list(report.bad_rows))
        if bad.any():
            if "invoice_id" in df:  # --reject-file: the other lines of its invoice go too
                report.bad_invoices.update(str(i) for i in df.loc[bad, "invoice_id"].dropna())
            df = df[~bad]
            if df.empty:
                return
    # rows are staged even after a problem, so that the checks on the whole file (keys,
    # references) report theirs in the same pass; a refused file is never merged
    if ctx.kind.settles or "name" in ctx.headers:
        remember_customers(df, attrs)  # what the rows say of the customers they create
    for table, rows in shape(ctx.kind, df).items():
        write(table, rows)


NO_ANSWER = ("", "-", "n/a", "na", "--")


def wide_answers(raw: pd.DataFrame, ctx: Context, report: ImportReport) -> pd.DataFrame:
    """A survey export with one column per survey: one answer per filled score cell (blank
    and ``-`` are no answer), each checked under its own column's name."""
    parts, commented = [], set()
    for header, survey in ctx.scores.items():
        answers = cells(raw, header).str.strip()
        answered = ~answers.str.lower().isin(NO_ANSWER)
        report.no_answer += int((~answered).sum())
        if not answered.any():
            continue
        one = replace(
            ctx,
            headers={**ctx.headers, "score": header},
            fixed={**ctx.fixed, "survey_type": survey},
        )
        df = convert(one, raw[answered], report)
        if not ctx.incomplete:
            check_rows(df, one, report)
        if "comment" in df:  # a row's comment goes with its first answer, not with each
            df["comment"] = df["comment"].where(~df.index.isin(commented), None)
            commented.update(df.index[df["comment"].notna()])
        if len(ctx.scores) > 1:  # one response id per answer
            df["response_id"] = df["response_id"].where(
                df["response_id"].isna(), df["response_id"] + ":" + survey
            )
        parts.append(df)
    return pd.concat(parts) if parts else pd.DataFrame()


LINE_AGREE = ("customer_id", "issue_date", "due_date")


def collapse_lines(
    conn: Connection, stages: dict[str, Table], ctx: Context, report: ImportReport
) -> None:
    """Invoice lines: rows of an invoices or ledger file that share an invoice id sum into one
    invoice (their customer and dates must agree, else a problem); a ledger's settlements of
    one invoice sum per day (each line's paid amount applies to its own amount)."""
    if ctx.kind.name not in ("invoices", "ledger"):
        return
    main = stages["invoices"]
    staged, distinct = stage_counts(conn, main)
    if staged == distinct:
        return
    lines = _repeated(conn, main)
    first_row = lines.groupby("key")["src_row"].transform("first")
    known = {p.row for p in report.problems}  # a row refused already is not a line problem
    fine = ~lines["src_row"].isin(known) & ~first_row.isin(known)
    for column in LINE_AGREE:
        text = lines[column].astype(str)  # no missing value: a text "None" compares too
        differs = (text != text.groupby(lines["key"]).transform("first")) & fine
        for row, value, row0 in zip(
            lines.loc[differs, "src_row"],
            lines.loc[differs, column],
            first_row[differs],
            strict=True,
        ):
            report.add(
                Problem(
                    int(row),
                    ctx.headers.get(column, column),
                    None if value is None else str(value),
                    f"a line of the invoice of row {int(row0)} with another {column}",
                    "rows that share an invoice id are lines of one invoice: give them the "
                    "same customer and dates, or distinct invoice ids",
                )
            )
    summed = {"amount_cents": "sum", "written_off_cents": lambda v: v.sum(min_count=1)}
    latest = {"written_off_date", "disputed"}
    rest = [c for c in lines.columns if c not in ("src_row", "key", "row_hash", *summed)]
    agg = lines.groupby("key", sort=False).agg(
        src_row=("src_row", "first"),
        **{c: (c, how) for c, how in summed.items()},
        **{c: (c, "max" if c in latest else "first") for c in rest},
    )
    for column in summed:  # whole cents (a sum over gaps comes back as floats)
        agg[column] = agg[column].astype("Int64")
    _replace(conn, main, "invoices", agg.reset_index())
    report.notes.append(
        f"Invoice lines: {len(agg):,} invoice(s) given on {len(lines):,} rows; the lines of "
        "each were summed."
    )
    pay = stages.get("payments")
    if pay is None or stage_counts(conn, pay)[0] == stage_counts(conn, pay)[1]:
        return
    paid = _repeated(conn, pay)
    days = paid.groupby("key")["payment_date"].transform("nunique")
    dated = paid["key"] + "@" + paid["payment_date"].astype(str)
    paid["key"] = paid["key"].where(days == 1, dated)  # paid on several days: one per day
    rest = [c for c in paid.columns if c not in ("src_row", "key", "row_hash", "amount_cents")]
    agg = paid.groupby("key", sort=False).agg(
        src_row=("src_row", "first"),
        amount_cents=("amount_cents", "sum"),
        **{c: (c, "first") for c in rest},
    )
    _replace(conn, pay, "payments", agg.reset_index())


def _repeated(conn: Connection, stage: Table) -> pd.DataFrame:
    """The staged rows whose key appears more than once, in file order."""
    repeated = select(stage.c.key).group_by(stage.c.key).having(func.count() > 1)
    rows = conn.execute(
        select(stage).where(stage.c.key.in_(repeated)).order_by(stage.c.src_row)
    ).mappings()
    return pd.DataFrame(rows.all())


def _replace(conn: Connection, stage: Table, table: str, agg: pd.DataFrame) -> None:
    """Put ``agg`` (one row per key, hashed again) in place of the staged rows whose key
    appears more than once."""
    repeated = select(stage.c.key).group_by(stage.c.key).having(func.count() > 1)
    conn.execute(stage.delete().where(stage.c.key.in_(repeated)))
    frame = with_keys(table, agg.set_index("src_row"), agg["key"])
    bulk_insert(conn, stage.name, ["src_row", *frame.columns], as_tuples(frame))
    stage.info.pop("counts", None)


def set_aside(
    conn: Connection, stages: dict[str, Table], ctx: Context, report: ImportReport
) -> None:
    """``--reject-file``: take the rows with a problem out of the staged file (an invoice
    goes whole, all its lines and its settlement)."""
    if not report.bad_rows:
        return
    main = stages[ctx.kind.tables[0]]
    lines = ctx.kind.name in ("invoices", "ledger")
    rows = sorted(report.bad_rows)
    if lines and report.bad_invoices:  # lines of invoices with a refused line
        known = sorted(report.bad_invoices)
        for begin in range(0, len(known), 500):
            some = known[begin : begin + 500]
            report.bad_rows.update(
                conn.execute(select(main.c.src_row).where(main.c.invoice_id.in_(some))).scalars()
            )
            for stage in stages.values():
                conn.execute(stage.delete().where(stage.c.invoice_id.in_(some)))
        rows = sorted(report.bad_rows)
    for start in range(0, len(rows), 500):
        part = rows[start : start + 500]
        if lines:
            ids = [
                i
                for i in conn.execute(
                    select(main.c.invoice_id).distinct().where(main.c.src_row.in_(part))
                ).scalars()
                if i is not None
            ]
            for begin in range(0, len(ids), 500):
                some = ids[begin : begin + 500]
                report.bad_rows.update(
                    conn.execute(
                        select(main.c.src_row).where(main.c.invoice_id.in_(some))
                    ).scalars()
                )
                for stage in stages.values():
                    conn.execute(stage.delete().where(stage.c.invoice_id.in_(some)))
        for stage in stages.values():
            conn.execute(stage.delete().where(stage.c.src_row.in_(part)))
    for stage in stages.values():
        stage.info.pop("counts", None)


def stage_fec(
    conn: Connection,
    source: Source,
    ctx: Context,
    report: ImportReport,
    attrs: dict[str, dict],
    write: Callable[[str, pd.DataFrame], None],
    progress: Progress | None,
) -> None:
    """The FEC: every line read (its customer lines kept), then invoices and payments made by
    matching the lettering codes (``data_loaders.fec``), staged like any file's rows."""
    from data_loaders import fec

    lines = fec.Lines()
    for _, raw in source.chunks():
        report.rows_read += len(raw)
        if not ctx.incomplete:
            fec.add_chunk(lines, raw, ctx.headers)
        if progress:
            progress("checking", report.rows_read)
    if ctx.incomplete:
        return
    inv = FACT_TABLES["invoices"].__table__

    def known(ids: list[str]) -> set[str]:
        found: set[str] = set()
        for start in range(0, len(ids), 500):
            found |= set(
                conn.execute(
                    select(inv.c.invoice_id).where(
                        inv.c.invoice_id.in_(ids[start : start + 500]), inv.c.replaced_by.is_(None)
                    )
                ).scalars()
            )
        return found

    got = fec.receivables(lines, ctx.headers, report, ctx.terms_days, ctx.customer_terms, known)
    if not report.ok or got.invoices.empty and got.payments.empty:
        return
    for customer, name in got.names.items():
        attrs.setdefault(customer, {"name": name})
    invoices = got.invoices.set_index("src_row")
    invoices["currency"], invoices["disputed"] = ctx.currency, False
    write("invoices", with_keys("invoices", invoices, invoices["invoice_id"]))
    if not got.payments.empty:
        pays = got.payments.set_index("src_row")
        write("payments", with_keys("payments", pays, pays["payment_id"]))
