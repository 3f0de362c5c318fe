"""Nothing lost: an import killed at any moment (kill -9) leaves the database exactly as it was
and intact; two imports at once both land, as if run one after the other."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import create_engine, func, select, text

from dashboard.storage import store
from dashboard.storage.models import FACT_TABLES, AuditEvent, Batch
from data_loaders.importer import import_file
from tests.conftest import is_postgres

pytestmark = pytest.mark.slow  # kills imports and races them: minutes

ROWS = 120_000  # enough for the import to take seconds, so a kill lands inside it


def invoices_frame(n: int, first: int = 0, cents_shift: int = 0, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    ids = np.arange(first, first + n)
    issue = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 700, n), unit="D")
    return pd.DataFrame(
        {
            "invoice_id": [f"I{i}" for i in ids],
            "customer_id": [f"C{i % 500}" for i in ids],
            "issue_date": issue.strftime("%Y-%m-%d"),
            "due_date": (issue + pd.Timedelta(days=30)).strftime("%Y-%m-%d"),
            "amount": [f"{(1000 + (i * 7919) % 900_000 + cents_shift) / 100:.2f}" for i in ids],
        }
    )


def snapshot(engine) -> dict:
    """A fingerprint of every table: counts, live rows, and sums over keys, hashes and batches."""
    out = {}
    with engine.connect() as conn:
        for name, model in FACT_TABLES.items():
            t = model.__table__
            out[name] = tuple(
                conn.execute(
                    select(
                        func.count(),
                        func.count(t.c.replaced_by),
                        func.sum(t.c.row_hash % 1_000_003),
                        func.sum(t.c.batch_id),
                        func.sum(func.coalesce(t.c.replaced_by, 0)),
                    )
                ).one()
            )
        for model in (Batch, AuditEvent):
            out[model.__tablename__] = conn.execute(
                select(func.count()).select_from(model.__table__)
            ).scalar_one()
    return out


def intact(engine) -> bool:
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            return conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
        # PostgreSQL: every index agrees with its table (a scan through each)
        for name in FACT_TABLES:
            conn.execute(text(f"SELECT count(*) FROM {name} WHERE replaced_by IS NULL"))
        return True


def start_import(db_url: str, kind: str, path: Path, user: str) -> subprocess.Popen:
    env = {**os.environ, "ENCAISSE_DB_URL": db_url}
    return subprocess.Popen(
        [sys.executable, "-m", "dashboard.cli.main", "import", kind, str(path), "--user", user],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def write_lock_held(db_url: str) -> bool:
    """Is a writer inside its write transaction right now? (asked without waiting)"""
    if is_postgres(db_url):
        eng = create_engine(store.normalize_url(db_url))
        with eng.connect() as conn:
            held = conn.execute(
                text(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                    "AND objid = :k"
                ),
                {"k": store.WRITE_LOCK_KEY},
            ).scalar_one()
        eng.dispose()
        return held > 0
    import sqlite3

    con = sqlite3.connect(db_url.removeprefix("sqlite:///"), timeout=0, isolation_level=None)
    try:
        con.execute("BEGIN IMMEDIATE")
        con.execute("ROLLBACK")
        return False
    except sqlite3.OperationalError:
        return True
    finally:
        con.close()


@pytest.fixture
def loaded(engine, db_url, tmp_path):
    """A store with 120k invoices, and a file that re-states them all with new amounts plus
    20k new ones (so an import replaces, adds and creates customers)."""
    base = tmp_path / "base.csv"
    invoices_frame(ROWS).to_csv(base, index=False)
    import_file(engine, "invoices", base, user="setup")
    changed = tmp_path / "changed.csv"
    pd.concat([invoices_frame(ROWS, cents_shift=1), invoices_frame(20_000, first=ROWS)]).to_csv(
        changed, index=False
    )
    return engine, db_url, changed


def test_an_import_killed_at_any_moment_leaves_the_database_as_it_was(loaded):
    engine, db_url, changed = loaded
    before = snapshot(engine)
    kills = []
    # Fixed moments while reading and staging, then the moment the write transaction starts
    # and moments inside it.
    for delay, after_lock in ((0.8, None), (2.0, None), (None, 0.0), (None, 0.15), (None, 0.4)):
        proc = start_import(db_url, "invoices", changed, "killed")
        if delay is not None:
            time.sleep(delay)
        else:
            deadline = time.monotonic() + 120
            while not write_lock_held(db_url) and proc.poll() is None:
                assert time.monotonic() < deadline, "the import never took the write lock"
                time.sleep(0.005)
            time.sleep(after_lock)
        if proc.poll() is not None:
            continue  # finished before this moment: nothing to learn from it
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        kills.append((delay, after_lock))
        if is_postgres(db_url):  # the server rolls the dead client's work back on its own
            deadline = time.monotonic() + 60
            while write_lock_held(db_url):
                assert time.monotonic() < deadline
                time.sleep(0.05)
        assert snapshot(engine) == before, (delay, after_lock)
        assert intact(engine)
    assert sum(1 for d, _ in kills if d is None) >= 2, f"too few kills in the write: {kills}"
    # and the same import, left alone, lands whole
    done = start_import(db_url, "invoices", changed, "finally")
    out, err = done.communicate(timeout=300)
    assert done.returncode == 0, err
    assert f"20000 added, {ROWS} replaced, 0 unchanged" in out
    assert snapshot(engine) != before and intact(engine)


def test_two_imports_at_once_both_land_as_if_one_after_the_other(engine, db_url, tmp_path):
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    # Overlapping invoices (40k–60k in both, with different amounts), and a payments file
    invoices_frame(60_000).to_csv(a, index=False)
    invoices_frame(60_000, first=40_000, cents_shift=5).to_csv(b, index=False)
    procs = [
        start_import(db_url, "invoices", a, "anna"),
        start_import(db_url, "invoices", b, "bert"),
    ]
    results = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [err for _, err in results]
    batches = sorted(store.list_batches(engine), key=lambda x: x["id"])
    assert [x["imported_by"] for x in batches] in (["anna", "bert"], ["bert", "anna"])
    first, second = batches
    # serial semantics: the first adds 60k; the second adds 40k and replaces the 20k overlap
    assert (first["added"], first["replaced"]) == (60_000, 0)
    assert (second["added"], second["replaced"], second["unchanged"]) == (40_000, 20_000, 0)
    inv = FACT_TABLES["invoices"].__table__
    with engine.connect() as conn:
        live = conn.execute(select(func.count()).where(inv.c.replaced_by.is_(None))).scalar_one()
        winners = conn.execute(
            select(inv.c.batch_id, func.count())
            .where(
                inv.c.replaced_by.is_(None), inv.c.invoice_id.in_(["I40000", "I45000", "I59999"])
            )
            .group_by(inv.c.batch_id)
        ).all()
    assert live == 100_000
    assert winners == [(second["id"], 3)]  # the overlap holds the later batch's version
    # both undo cleanly, newest first, back to an empty store
    store.delete_batch(engine, second["id"])
    store.delete_batch(engine, first["id"])
    assert snapshot(engine)["invoices"][0] == 0
