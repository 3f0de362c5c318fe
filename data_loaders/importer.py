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

from sqlalchemy import Connection, Engine, Index, MetaData, Table, select

from dashboard.storage.store import begin_write, refresh_statistics, reporting_currency, taxonomy
from data_loaders.checks import Context, Progress, infer
from data_loaders.headers import SURVEY_SCORES, match_headers, pairs
from data_loaders.kinds import KINDS, OWNER_ALIASES, lookup, normalize_value
from data_loaders.merge import merge_batch
from data_loaders.parallel import Helper, HelperFailed
from data_loaders.problems import ImportRefused, ImportReport, Problem
from data_loaders.profiles import Profile, load_profile, profile_for, save_profile, signature
from data_loaders.read import FileUnreadable, Source, open_source
from data_loaders.staging import (
    check_staged,
    collapse_lines,
    set_aside,
    stage_file,
    stage_table,
)


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
    fixed: dict[str, str] | None = None,
    terms_days: int | None = None,
    reject_file: str | Path | None = None,
    profile: str | None = None,
) -> ImportReport:
    """Import one file of ``kind``; raises ``ImportRefused`` (nothing written) on any problem.
    ``upload``: the file came through the dashboard (its size is limited too). ``mapping``:
    header -> column (a dict, or pairs: a header given twice is a problem); ``fixed``: columns
    the file lacks, one value for every row (``--set``); ``terms_days``: invoices without a
    due date are due their customer's terms, else these days, after issue (``--terms``);
    ``reject_file``: commit the valid rows and write every refused row, with its problem, to
    this CSV (without it, all or nothing); ``profile``: save the mapping, ``fixed`` and
    ``terms_days`` under this name once committed (given alone: use the saved ones). Without
    any of them, a profile remembered for a file with these headers is used."""
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
    given = bool(mapping or fixed or terms_days is not None)
    used = None
    if not given:
        used = load_profile(engine, profile) if profile else profile_for(engine, kind, headers)
    if used is not None and used.kind != kind:
        report.add(
            Problem(
                None,
                None,
                profile,
                f"the remembered mapping '{used.name}' is for {used.kind} files",
                "import the file as that kind, or choose another --profile name",
            )
        )
        raise ImportRefused(report)
    if used is not None:
        mapping, fixed, terms_days = used.mapping, used.fixed, used.terms_days
        report.notes.append(
            f"Remembered mapping '{used.name}' used (saved for a {kind} file with these "
            "headers): " + describe(used)
        )
    fixed = {k.strip(): v.strip() for k, v in (fixed or {}).items()}
    if (
        terms_days is not None
        and not spec.whole_file
        and "due_date" not in {c.name for c in spec.columns}
    ):
        report.add(Problem(None, None, None, f"--terms applies to invoices, not {kind}", "drop it"))
        terms_days = None
    matched = match_headers(
        spec, headers, mapping, report, fixed=fixed, terms=terms_days is not None
    )
    scores = {h: t for h, t in matched.items() if t in SURVEY_SCORES}
    ctx = Context(
        spec,
        {v: k for k, v in matched.items() if v not in SURVEY_SCORES},
        currency=reporting_currency(engine),
        fixed={k: v for k, v in fixed.items() if k in {c.name for c in spec.columns}},
        terms_days=terms_days,
        scores=scores,
        incomplete=not report.ok,
    )
    if scores:
        report.notes.append(
            "Survey answers read from: "
            + ", ".join(f"'{h}' ({t.upper()})" for h, t in scores.items())
            + "."
        )
    if spec.name == "surveys" and "customer_id" not in ctx.headers and "customer_id" not in fixed:
        report.notes.append("No customer id column: the answers are kept as anonymous.")
    if terms_days is not None:
        ctx.customer_terms = customer_terms(engine)
    if "currency" in {c.name for c in spec.columns} and spec.name != "rates":
        ctx.rates = exchange_rates(engine)
        if spec.refers_to_invoices:
            ctx.fx_invoices = foreign_invoices(engine)
    codes = taxonomy(engine)
    ctx.reasons = {
        normalize_value(v): r["code"]
        for r in codes
        for v in (r["code"], r["label_en"], r["label_fr"])
    }
    ctx.owners = lookup({o: (*a, o) for o, a in OWNER_ALIASES.items()})
    helper = None if spec.whole_file else Helper.for_source(source)
    try:
        infer(source, ctx, progress)
        report.reject_file = None if reject_file is None else str(reject_file)
        done = _write(engine, source, ctx, report, user, progress, helper)
        if profile and done.committed and (given or used is None):
            saved = Profile(profile, kind, signature(headers), pairs(mapping), fixed, terms_days)
            save_profile(engine, saved, user or "cli")
            done.notes.append(f"Mapping remembered as '{profile}': {describe(saved)}")
        return done
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
            rejecting = report.reject_file is not None and report.rows_read and not ctx.incomplete
            if rejecting:
                with conn.begin():
                    set_aside(conn, stages, ctx, report)  # before the lines are summed
            if (report.ok or rejecting) and conn.dialect.name == "sqlite":
                with conn.begin():
                    # SQLite looks staged keys up one by one; PostgreSQL hashes them (its
                    # index on a million staged keys cost 0.8 s and was not used). Built
                    # before the lines are summed: counting distinct keys uses it.
                    for stage in stages.values():
                        Index(f"ix_{stage.name}_key", stage.c.key).create(conn)
            if report.rows_read and not ctx.incomplete:
                with conn.begin():
                    collapse_lines(conn, stages, ctx, report)
            if rejecting:
                with conn.begin():
                    check_staged(conn, stages, ctx, report)  # keys and references, now
                    set_aside(conn, stages, ctx, report)
                keep_rejects(report)
            if not report.ok:
                if not ctx.incomplete and report.rows_read:
                    with conn.begin():  # keys and references, in the same pass
                        check_staged(conn, stages, ctx, report)
                raise ImportRefused(report)
            with begin_write(conn) as tx:
                check_staged(conn, stages, ctx, report)
                if not report.ok:
                    tx.rollback()
                    raise ImportRefused(report)
                merge_batch(conn, source, ctx, report, stages, attrs, user)
                if report.dry_run:
                    tx.rollback()
            if report.rejected:
                write_rejects(source, report, Path(report.reject_file))
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
    if part is not None and conn.dialect.name == "sqlite":
        helper.attach(conn, stages)  # even when refused: the whole file's keys are checked


def customer_terms(engine: Engine) -> dict[str, int]:
    """Each known customer's payment terms in days (for ``--terms``)."""
    from dashboard.storage.models import Customer

    c = Customer.__table__
    with engine.connect() as conn:
        rows = conn.execute(
            select(c.c.customer_id, c.c.payment_terms_days).where(
                c.c.replaced_by.is_(None), c.c.payment_terms_days.is_not(None)
            )
        ).all()
    return {cid: int(days) for cid, days in rows}


def keep_rejects(report: ImportReport) -> None:
    """``--reject-file``: the rows' problems stop being fatal; they are kept for the file."""
    if not report.bad_rows:
        return
    report.rejects, report.rejected = list(report.problems), len(report.bad_rows)
    fatal = [p for p in report.problems if p.row is None or p.row <= 1]
    report.problems, report.problem_count = fatal, len(fatal)
    if report.rejected >= report.rows_read:
        report.add(
            Problem(
                None,
                None,
                None,
                "every row was refused",
                "correct the file (see the reject file) and import it again",
            )
        )


UNLISTED = "refused with another line of its invoice (or past the first problems listed)"


def write_rejects(source: Source, report: ImportReport, path: Path) -> None:
    """Every refused row as the file had it, after its row number and its problems (CSV, safe
    to open in a spreadsheet)."""
    import pandas as pd

    from dashboard.core.safe_text import safe_frame

    said: dict[int, list[str]] = {}
    for p in report.rejects:
        if p.row is not None:
            column = f"{p.column}: " if p.column else ""
            value = f" ({p.value})" if p.value not in (None, "") else ""
            said.setdefault(p.row, []).append(f"{column}{p.message}{value}")
    parts = []
    for _, raw in source.chunks():
        picked = raw[raw.index.isin(report.bad_rows)]
        if len(picked):
            parts.append(picked)
    rows = pd.concat(parts) if parts else pd.DataFrame()
    rows.insert(
        0,
        "problem",
        ["; ".join(said.get(int(r), [UNLISTED])) for r in rows.index],
    )
    rows.insert(0, "row", rows.index.astype(int))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(safe_frame(rows).to_csv(index=False).encode("utf-8-sig"))


def describe(profile: Profile) -> str:
    """A profile as the flags that would give it."""
    parts = [f"--map '{h}={c}'" for h, c in profile.mapping]
    parts += [f"--set {c}={v}" for c, v in profile.fixed.items()]
    if profile.terms_days is not None:
        parts.append(f"--terms {profile.terms_days}")
    return " ".join(parts) or "no flag"


def exchange_rates(engine: Engine) -> dict[str, tuple]:
    """Each currency's rates in date order: (ISO dates, rates) as arrays, for a lookup of the
    latest rate on or before a day."""
    import numpy as np

    from dashboard.storage.models import Rate

    r = Rate.__table__
    with engine.connect() as conn:
        rows = conn.execute(
            select(r.c.currency, r.c.date, r.c.rate)
            .where(r.c.replaced_by.is_(None))
            .order_by(r.c.currency, r.c.date)
        ).all()
    out: dict[str, tuple] = {}
    for currency in {row[0] for row in rows}:
        mine = [row for row in rows if row[0] == currency]
        days = np.array([str(row[1])[:10] for row in mine], dtype=object)
        out[currency] = (days, np.array([float(row[2]) for row in mine]))
    return out


def foreign_invoices(engine: Engine) -> dict[str, tuple[str, float]]:
    """Invoices in another currency: their currency and the rate they were converted at."""
    from dashboard.storage.models import Invoice

    i = Invoice.__table__
    with engine.connect() as conn:
        rows = conn.execute(
            select(i.c.invoice_id, i.c.original_currency, i.c.fx_rate).where(
                i.c.replaced_by.is_(None), i.c.original_currency.is_not(None)
            )
        ).all()
    return {invoice: (currency, float(rate)) for invoice, currency, rate in rows}
