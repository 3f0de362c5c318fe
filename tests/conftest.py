"""Shared fixtures: a fresh store on SQLite and, when configured, on PostgreSQL."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text

from dashboard.models import FACT_TABLES, Batch
from dashboard.store import make_engine, normalize_url, upgrade

PG_ENV = "ENCAISSE_TEST_PG_URL"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "external"
IBM = SHARED / "WA_Fn-UseC_-Accounts-Receivable.csv"
FIXTURES = Path(__file__).parent / "fixtures"


def _backends() -> list:
    pg = pytest.param("postgresql", marks=pytest.mark.skipif(
        not os.environ.get(PG_ENV),
        reason=f"PostgreSQL tests need {PG_ENV} (set by .ci/run to the local server)"))
    return ["sqlite", pg]


@pytest.fixture(params=_backends())
def engine(request, tmp_path):
    """A migrated, empty database; PostgreSQL gets a database of its own per test."""
    if request.param == "sqlite":
        eng = make_engine(f"sqlite:///{tmp_path / 'test.db'}")
        upgrade(eng)
        yield eng
        eng.dispose()
        return
    admin_url = normalize_url(os.environ[PG_ENV])
    name = f"encaisse_t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin.url.set(database=name)
    eng = make_engine(url.render_as_string(hide_password=False))
    upgrade(eng)
    yield eng
    eng.dispose()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def ibm_csv() -> Path:
    if not IBM.exists():
        pytest.skip(f"IBM accounts-receivable sample not found at {IBM} (it lives in ../shared)")
    return IBM


def table_counts(engine) -> dict[str, int]:
    """Rows in every imported table and in batches: the database's state, for before/after."""
    with engine.connect() as conn:
        out = {name: conn.execute(select(func.count()).select_from(m.__table__)).scalar_one()
               for name, m in FACT_TABLES.items()}
        out["batches"] = conn.execute(select(func.count()).select_from(Batch.__table__)
                                      ).scalar_one()
    return out


def write(tmp_path: Path, name: str, text_: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text_.encode(encoding))
    return path
