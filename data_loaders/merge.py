"""Merging a staged file into the live tables as one batch, inside the write lock."""

from __future__ import annotations

import datetime as dt
import getpass

import pandas as pd
from sqlalchemy import Connection, Index, Table, and_, exists, func, insert, literal, select, update
from sqlalchemy.schema import AddConstraint, DropConstraint

from dashboard.storage.models import FACT_TABLES, Batch, Customer
from dashboard.storage.store import audit, bulk_insert, bump_data_version
from data_loaders.checks import Context
from data_loaders.kinds import UNASSIGNED
from data_loaders.problems import ImportReport
from data_loaders.read import Source
from data_loaders.rows import value_columns, with_keys
from data_loaders.staging import as_tuples, stage_counts


def merge(conn: Connection, table: str, stage: Table, batch_id: int) -> tuple[int, int, int]:
    """Supersede changed rows, insert new versions; returns (added, replaced, unchanged)."""
    t = FACT_TABLES[table].__table__
    # Driven from the staged keys through the live-key index, never a scan of the target.
    current = t.alias("current")
    changed = (
        select(stage.c.key)
        .join(current, and_(current.c.key == stage.c.key, current.c.replaced_by.is_(None)))
        .where(current.c.row_hash != stage.c.row_hash)
    )
    conn.execute(
        update(t)
        .where(t.c.replaced_by.is_(None), t.c.key.in_(changed))
        .values(replaced_by=batch_id)
    )
    cols = ["key", "row_hash", *value_columns(table)]
    staged, distinct = stage_counts(conn, stage)
    # Each guard costs a lookup per staged row: skipped when it cannot exclude anything (no
    # key staged twice; no live row at all, e.g. a first load).
    guards = []
    if distinct < staged:  # a key repeated with the same values: its first row only
        earlier = stage.alias("earlier")
        guards.append(
            ~exists().where(earlier.c.key == stage.c.key, earlier.c.src_row < stage.c.src_row)
        )
    live = conn.execute(select(t.c.id).where(t.c.replaced_by.is_(None)).limit(1)).first()
    if live:
        guards.append(~exists().where(t.c.key == stage.c.key, t.c.replaced_by.is_(None)))
    pick = select(*[stage.c[c] for c in cols], literal(batch_id)).where(*guards)
    rebuilt = bulk_indexes(conn, t, staged, looked_up=bool(live))
    # PostgreSQL checks the batch reference with a trigger per row (3.4 s per million):
    # dropped with the indexes, and validated again by one join when added back
    refs = list(t.foreign_key_constraints) if rebuilt and conn.dialect.name == "postgresql" else []
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
    replaced = count_where(conn, t, t.c.replaced_by == batch_id)
    inserted = count_where(conn, t, t.c.batch_id == batch_id)
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
    return sorted(
        (ix for ix in t.indexes if not (keep and ix.name.startswith(keep))), key=lambda ix: ix.name
    )


def retire_ledger_payments(conn: Connection, stages: dict[str, Table], batch_id: int) -> int:
    """A re-stated ledger row without a settlement supersedes the payment it once had."""
    p, si, sp = FACT_TABLES["payments"].__table__, stages["invoices"], stages["payments"]
    restated = select(literal("ledger:") + si.c.invoice_id)
    still_paid = select(sp.c.key)
    retire = p.c.replaced_by.is_(None) & p.c.key.in_(restated) & p.c.key.not_in(still_paid)
    before = count_where(conn, p, p.c.replaced_by == batch_id)
    conn.execute(update(p).where(retire).values(replaced_by=batch_id))
    return count_where(conn, p, p.c.replaced_by == batch_id) - before


def count_where(conn: Connection, table: Table, condition) -> int:
    return conn.execute(select(func.count()).select_from(table).where(condition)).scalar_one()


def create_customers(
    conn: Connection, stages: dict[str, Table], attrs: dict[str, dict], batch_id: int
) -> list[str]:
    """Customers referenced by the file but unknown: created in segment Unassigned (with what
    a ledger said of them)."""
    c = Customer.__table__
    ids: set[str] = set()
    for stage in stages.values():
        if "customer_id" in stage.c:  # found in the database: memory stays flat
            known = exists().where(c.c.key == stage.c.customer_id, c.c.replaced_by.is_(None))
            ids |= set(
                conn.execute(
                    select(stage.c.customer_id)
                    .distinct()
                    .where(~known, stage.c.customer_id.is_not(None))  # anonymous answers
                ).scalars()
            )
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


def merge_batch(
    conn: Connection,
    source: Source,
    ctx: Context,
    report: ImportReport,
    stages: dict[str, Table],
    attrs: dict[str, dict],
    user: str | None,
) -> None:
    """Inside the write transaction: record the batch, merge every table, audit it."""
    kind = ctx.kind.name
    who = user or getpass.getuser()
    batch_id = conn.execute(
        insert(Batch.__table__)
        .values(
            kind=kind,
            file_name=report.file,
            sha256=source.sha256,
            imported_by=who,
            imported_at=dt.datetime.now(dt.UTC),
        )
        .returning(Batch.__table__.c.id)
    ).scalar_one()
    for table in ctx.kind.tables:
        added, replaced, unchanged = merge(conn, table, stages[table], batch_id)
        report.added += added
        report.replaced += replaced
        report.unchanged += unchanged
    if ctx.kind.settles:
        report.replaced += retire_ledger_payments(conn, stages, batch_id)
    if ctx.kind.creates_customers:
        report.customers_created = create_customers(conn, stages, attrs, batch_id)
        report.created_segments = {
            i: attrs.get(i, {}).get("segment") or UNASSIGNED for i in report.customers_created
        }
    conn.execute(
        update(Batch.__table__)
        .where(Batch.__table__.c.id == batch_id)
        .values(
            rows_read=report.rows_read,
            rows_added=report.added,
            rows_replaced=report.replaced,
            rows_unchanged=report.unchanged,
            customers_created=len(report.customers_created),
            rows_rejected=report.rejected,
        )
    )
    bump_data_version(conn)
    audit(
        conn,
        who,
        "import",
        f"batch {batch_id}: {kind} {report.file} ({report.rows_read} "
        f"rows, {report.added} added, {report.replaced} replaced"
        + (f", {report.rejected} refused" if report.rejected else "")
        + ")",
    )
    if not report.dry_run:
        report.batch_id = batch_id
