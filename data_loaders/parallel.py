"""A second process for big files: it parses, checks and stages the last part of a CSV."""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import shutil
import tempfile
import threading
from pathlib import Path

import pandas as pd
from sqlalchemy import Connection, MetaData, Table, create_engine

from dashboard.storage.store import bulk_insert
from data_loaders.checks import Context
from data_loaders.problems import ImportReport
from data_loaders.read import FileUnreadable, Part, Source
from data_loaders.staging import as_tuples, copy_csv, csv_rows, stage_chunk, stage_table

PARALLEL_MIN_BYTES = 16 << 20  # about 250k rows: below, starting a process does not pay


# The second process takes the file's last part; started by ``spawn`` it first imports its
# modules (1.5 s), so it takes less.
SECOND_SHARE = {"fork": 0.52, "spawn": 0.42}


SCRATCH_PREFIX = "encaisse-import-"  # + the importing process's id: "encaisse-import-4242-…"


def sweep_scratch(folder: Path | None = None) -> list[Path]:
    """Remove the scratch folders of imports whose process is gone (killed: ``kill -9``
    leaves no chance to clean up); returns them."""
    removed = []
    for scratch in Path(folder or tempfile.gettempdir()).glob(f"{SCRATCH_PREFIX}*"):
        pid = scratch.name[len(SCRATCH_PREFIX) :].split("-", 1)[0]
        if not pid.isdigit() or _alive(int(pid)):
            continue
        shutil.rmtree(scratch, ignore_errors=True)
        removed.append(scratch)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: alive, and not ours to judge
        return True
    return True


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
        sweep_scratch()  # folders of imports killed before they could remove theirs
        self.folder = Path(tempfile.mkdtemp(prefix=f"{SCRATCH_PREFIX}{os.getpid()}-"))
        self.jobs, jobs_end = mp.Pipe()
        self.process = mp.Process(target=helper_main, args=(jobs_end, os.getpid()), daemon=True)
        self.process.start()
        jobs_end.close()
        self.result: dict | None = None

    @classmethod
    def for_source(cls, source: Source) -> Helper | None:
        wanted = os.environ.get("ENCAISSE_IMPORT_WORKERS", "2").strip() != "1"
        if not (
            wanted
            and (os.cpu_count() or 1) > 1
            and source.format == "csv"
            and source.path.stat().st_size >= PARALLEL_MIN_BYTES
        ):
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

    def collect(
        self,
        conn: Connection,
        report: ImportReport,
        attrs: dict[str, dict],
        stages: dict[str, Table],
    ) -> None:
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
        report.bad_rows |= result["bad_rows"]
        report.bad_invoices |= result["bad_invoices"]
        report.no_answer += result["no_answer"]
        for customer, seen in result["attrs"].items():
            attrs.setdefault(customer, seen)
        self.result = result
        if conn.dialect.name == "postgresql":  # even when refused: the whole file is checked
            for table, columns in result["files"].items():
                with open(self.folder / f"{table}.csv", "rb") as f:
                    copy_csv(
                        conn, stages[table].name, columns, iter(lambda f=f: f.read(1 << 20), b"")
                    )

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
                    conn.exec_driver_sql(
                        f"INSERT INTO temp.{stages[table].name} ({cols}) "
                        f"SELECT {cols} FROM part.{stages[table].name}"
                    )
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


def stage_part(
    source: Source, ctx: Context, part: Part, dialect: str, folder: str, parent: int | None = None
) -> dict:
    """Parse, check and write one part of a file into ``folder``; the report's pieces.
    Stops (removing ``folder``) if the ``parent`` process is gone (killed: nobody waits)."""
    report = ImportReport(ctx.kind.name, source.name)
    attrs: dict[str, dict] = {}
    files: dict[str, list[str]] = {}
    meta = MetaData()
    stages = {t: stage_table(t, meta, temporary=False) for t in ctx.kind.tables}
    scratch = (
        create_engine(f"sqlite:///{Path(folder) / 'part.db'}") if dialect == "sqlite" else None
    )
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
    return {
        "rows_read": report.rows_read,
        "problems": report.problems,
        "problem_count": report.problem_count,
        "notes": report.notes,
        "bad_rows": report.bad_rows,
        "bad_invoices": report.bad_invoices,
        "no_answer": report.no_answer,
        "attrs": attrs,
        "files": files,
    }
