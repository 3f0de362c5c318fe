"""Shared fixtures: a fresh store on SQLite and, when configured, on PostgreSQL."""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text

from dashboard.storage.models import FACT_TABLES, Batch
from dashboard.storage.store import make_engine, normalize_url, upgrade

# Columnar copies of server databases go to a cache folder: the tests' own, not the user's.
os.environ.setdefault("ENCAISSE_CACHE_DIR", tempfile.mkdtemp(prefix="encaisse-test-cache-"))

PG_ENV = "ENCAISSE_TEST_PG_URL"
# The backend of the whole run: scripts/test.sh runs the suite once on SQLite, then once more
# with ENCAISSE_TEST_BACKEND=postgresql when ENCAISSE_TEST_PG_URL names a server.
BACKEND = os.environ.get("ENCAISSE_TEST_BACKEND", "sqlite")
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "external"
IBM = SHARED / "WA_Fn-UseC_-Accounts-Receivable.csv"
FIXTURES = Path(__file__).parent / "fixtures"


def new_database(folder: Path) -> tuple[str, Callable[[], None]]:
    """A fresh, empty database of this run's backend: its URL and how to drop it.

    SQLite: a file in ``folder``. PostgreSQL: a database of its own on the test server.
    """
    if BACKEND != "postgresql":
        return f"sqlite:///{folder / 'test.db'}", lambda: None
    if not os.environ.get(PG_ENV):
        pytest.skip(f"PostgreSQL run asked for, but {PG_ENV} is not set")
    admin_url = normalize_url(os.environ[PG_ENV])
    name = f"encaisse_t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return admin.url.set(database=name).render_as_string(hide_password=False), drop


def is_postgres(url: str) -> bool:
    return url.startswith("postgres")


@pytest.fixture
def db_url(tmp_path):
    """A fresh, empty (not yet migrated) database URL of this run's backend."""
    url, drop = new_database(tmp_path)
    yield url
    drop()


@pytest.fixture
def engine(db_url):
    """A migrated, empty database of this run's backend."""
    eng = make_engine(db_url)
    upgrade(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def ibm_csv() -> Path:
    if not IBM.exists():
        pytest.skip(f"IBM accounts-receivable sample not found at {IBM} (it lives in ../shared)")
    return IBM


def table_counts(engine) -> dict[str, int]:
    """Rows in every imported table and in batches: the database's state, for before/after."""
    with engine.connect() as conn:
        out = {
            name: conn.execute(select(func.count()).select_from(m.__table__)).scalar_one()
            for name, m in FACT_TABLES.items()
        }
        out["batches"] = conn.execute(
            select(func.count()).select_from(Batch.__table__)
        ).scalar_one()
    return out


def write(tmp_path: Path, name: str, text_: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text_.encode(encoding))
    return path
