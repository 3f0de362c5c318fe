"""The import pipeline: match headers, parse and check every row, stage, merge as one batch.

A file is read twice in chunks: once to learn each column's conventions (decimal mark, day/month
order) from all its values, once to parse, check and stage the rows in temporary tables. Checks
that need the database (duplicate keys, unknown invoices) run on the staged rows under the write
lock. Only when no problem was found are the rows merged into the live tables, in that one
transaction: a refused or killed import writes nothing, and memory does not grow with the file.

Each stage has its module: ``read`` (formats, encodings, chunks), ``headers`` (matching),
``parse`` (vectorised parsers), ``checks`` (per column and ``row_rules``), ``rows`` (keys and
hashes), ``staging``, ``merge`` and ``parallel`` (the second process); what differs between
kinds is declared in ``kinds``.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Connection, Engine, Index, MetaData, Table

from dashboard.storage.store import begin_write, refresh_statistics, reporting_currency, taxonomy
from data_loaders.checks import Context, Progress, infer
from data_loaders.headers import match_headers
from data_loaders.kinds import KINDS, OWNER_ALIASES, lookup, normalize_value
from data_loaders.merge import merge_batch
from data_loaders.parallel import Helper, HelperFailed
from data_loaders.problems import ImportRefused, ImportReport, Problem
from data_loaders.read import FileUnreadable, Source, open_source
from data_loaders.staging import check_staged, stage_file, stage_table


def import_file(
    engine: Engine,
    kind: str,
    path: str | Path,
    *,
    sheet: str | None = None,
    mapping: dict[str, str] | None = None,
    dry_run: bool = False,
    user: str | None = None,
    name: str | None = None,
    progress: Progress | None = None,
    upload: bool = False,
) -> ImportReport:
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
        report.add(
            Problem(
                1, None, None, "the header row is empty", "put the column names on the first row"
            )
        )
        raise ImportRefused(report)
    matched = match_headers(spec, headers, mapping, report)
    if not report.ok:
        raise ImportRefused(report)
    ctx = Context(spec, {v: k for k, v in matched.items()}, currency=reporting_currency(engine))
    codes = taxonomy(engine)
    ctx.reasons = {
        normalize_value(v): r["code"]
        for r in codes
        for v in (r["code"], r["label_en"], r["label_fr"])
    }
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


def _write(
    engine: Engine,
    source: Source,
    ctx: Context,
    report: ImportReport,
    user: str | None,
    progress: Progress | None,
    helper: Helper | None = None,
) -> ImportReport:
    """Stage and check, then merge as one batch.

    Staging writes only temporary tables of this connection, in a transaction of its own, so
    it holds no lock: several files can be read and checked at once. The merge then takes the
    write lock (``begin_write``), checks against the live tables and writes the batch in one
    transaction: two imports land one after the other, and a process killed at any moment
    leaves the database as it was (the temporary tables die with the connection).
    """
    tables = ctx.kind.tables
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
                report.add(
                    Problem(
                        None,
                        None,
                        None,
                        "the file has a header but no data rows",
                        "export the data rows too",
                    )
                )
            if report.ok and conn.dialect.name == "sqlite":
                with conn.begin():
                    # SQLite looks staged keys up one by one; PostgreSQL hashes them (its
                    # index on a million staged keys cost 0.8 s and was not used)
                    for stage in stages.values():
                        Index(f"ix_{stage.name}_key", stage.c.key).create(conn)
            if not report.ok:
                raise ImportRefused(report)
            with begin_write(conn) as tx:
                check_staged(conn, stages, ctx, report)
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
            if engine.dialect.name == "postgresql" or engine.url.database not in (
                None,
                "",
                ":memory:",
            ):
                # the temporary tables die with the connection, their file at once (dropping
                # them frees a million rows page by page: 0.4 s on SQLite)
                conn.invalidate()
            else:
                with conn.begin():
                    for stage in stages.values():
                        stage.drop(conn, checkfirst=True)


def stage_all(
    conn: Connection,
    source: Source,
    ctx: Context,
    report: ImportReport,
    stages: dict[str, Table],
    attrs: dict[str, dict],
    progress: Progress | None,
    helper: Helper | None,
) -> None:
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
