"""Database access: engine, schema migrations, bulk writes, batches and settings."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import uuid
from collections.abc import Iterable, Sequence
from pathlib import Path

from platformdirs import user_data_dir
from sqlalchemy import (
    Column,
    Connection,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    event,
    func,
    select,
    text,
    update,
)
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from dashboard.storage.models import FACT_TABLES, AuditEvent, Batch, ReasonCode, Setting

DEFAULT_CURRENCY = "EUR"
MIGRATIONS = Path(__file__).parent / "migrations"
SCHEMA_HEAD = "0007"  # the newest migration (a test checks it against Alembic's head)
# One advisory lock key for every write that must not interleave with another (PostgreSQL).
WRITE_LOCK_KEY = 0x456E6361  # "Enca"
# How long a writer waits for another one to finish (SQLite busy timeout), in milliseconds:
# an import of a million rows holds the write lock for several seconds.
WRITE_WAIT_MS = 600_000


def default_db_url() -> str:
    """``ENCAISSE_DB_URL``, else an SQLite file in the per-user data folder."""
    url = os.environ.get("ENCAISSE_DB_URL")
    if url:
        return normalize_url(url)
    folder = Path(user_data_dir("encaisse", appauthor=False))
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / 'encaisse.db'}"


def normalize_url(url: str) -> str:
    """Use psycopg 3 for plain ``postgresql://`` URLs."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def make_engine(url: str | None = None) -> Engine:
    """An engine; SQLite gets WAL, a busy timeout and foreign keys on every connection."""
    url = normalize_url(url) if url else default_db_url()
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record) -> None:  # pragma: no cover - trivial
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute(f"PRAGMA busy_timeout={WRITE_WAIT_MS}")
            cur.execute("PRAGMA synchronous=NORMAL")
            # 64 MB page cache (default 2 MB): bulk merges maintain several indexes
            cur.execute("PRAGMA cache_size=-65536")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()
            # Let SQLAlchemy, not the driver, open transactions, so DDL is transactional too.
            dbapi_conn.isolation_level = None

        @event.listens_for(engine, "begin")
        def _begin(conn) -> None:  # pragma: no cover - trivial
            # A writer takes the write lock up front (BEGIN IMMEDIATE): a deferred transaction
            # that read first could not upgrade once another writer committed (SQLITE_BUSY).
            writes = conn.get_execution_options().get("writer", False)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if writes else "BEGIN")

        return engine
    return create_engine(url, pool_pre_ping=True)


def begin_write(conn: Connection):
    """Begin a transaction that writes the live tables, one writer at a time.

    SQLite: BEGIN IMMEDIATE, waiting up to ``WRITE_WAIT_MS`` for the lock. PostgreSQL: a
    transaction-scoped advisory lock, so that two imports (two users, or the command line while
    the app runs) land as if run one after the other, each seeing what the other committed.
    """
    conn.execution_options(writer=True)
    tx = conn.begin()
    conn.execution_options(writer=False)
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": WRITE_LOCK_KEY})
    return tx


def alembic_config(engine: Engine):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    return cfg


def upgrade(engine: Engine) -> None:
    """Create or upgrade the schema to the newest migration."""
    from alembic import command

    cfg = alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


class StoreError(Exception):
    """A database a command cannot use, said in one line with how to fix it."""


URL_FORMS = "sqlite:////absolute/path/encaisse.db or postgresql://user@host:5432/database"


def open_store(url: str | None = None) -> Engine:
    """The store at ``url``, its schema created or upgraded first (``encaisse init``, imports,
    the dashboard). ``StoreError`` when the URL cannot be used."""
    with explained(url):
        engine = make_engine(check_url(url))
        if not at_head(engine):
            upgrade(engine)
    return engine


def open_existing(url: str | None = None) -> Engine:
    """The store at ``url`` for a command that only reads: never creates a database or a
    schema. ``StoreError`` when there is none, or when it is older than this version."""
    with explained(url):
        engine = make_engine(check_url(url))
        database = engine.url.database
        file = engine.dialect.name == "sqlite" and database not in (None, "", ":memory:")
        if file and Path(database).is_dir():
            raise StoreError(f"{database} is a folder: give the database file's path in it")
        if file and not Path(database).is_file():
            raise StoreError(
                f"no database at {database}: create it with `encaisse init` (same --db)"
            )
        with engine.connect() as conn:
            try:
                version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
            except SQLAlchemyError:
                version = None
    shown = engine.url.render_as_string(hide_password=True)
    if version is None:
        raise StoreError(f"no Encaisse schema at {shown}: run `encaisse init` there first")
    if version != SCHEMA_HEAD:
        raise StoreError(
            f"the schema at {shown} is of an older version ({version}): run `encaisse init` "
            "to upgrade it"
        )
    return engine


def redacted(url: str) -> str:
    """A URL as it may be shown: without its password."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


def check_url(url: str | None) -> str | None:
    """A database URL, not a file path (the most common slip on the command line)."""
    given, where = (url, "--db") if url else (os.environ.get("ENCAISSE_DB_URL"), "ENCAISSE_DB_URL")
    if not given or "://" in given:
        return url
    raise StoreError(f"{where} takes a database URL, not a path ({given!r}): {URL_FORMS}")


@contextlib.contextmanager
def explained(url: str | None):
    """Database errors as one line saying what is wrong and how to fix it."""
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError

    given = url or os.environ.get("ENCAISSE_DB_URL")
    shown = redacted(given) if given else "the default database"
    try:
        yield
    except ImportError as exc:  # a dialect SQLAlchemy knows, whose driver is not installed
        raise StoreError(
            f"no driver for {shown} ({exc.name or exc}): Encaisse works with SQLite and "
            f"PostgreSQL, {URL_FORMS}"
        ) from None
    except NoSuchModuleError as exc:
        driver = str(exc).rsplit(":", 1)[-1].strip() or "?"
        raise StoreError(
            f"unknown database driver '{driver}' in {shown}: use {URL_FORMS}"
        ) from None
    except ArgumentError:
        raise StoreError(f"not a database URL: {shown}; use {URL_FORMS}") from None
    except OperationalError as exc:
        cause = str(exc.orig or exc).strip().splitlines()[0]
        if "unable to open database file" in cause:
            raise StoreError(
                f"cannot open the SQLite file of {shown}: the path is a folder, or its folder "
                "does not exist or is not writable"
            ) from None
        if "does not exist" in cause:
            raise StoreError(f"{cause} ({shown}): create it, or correct the URL") from None
        raise StoreError(
            f"cannot connect to {shown}: {cause}. Is the server running, and the address right?"
        ) from None


def at_head(engine: Engine) -> bool:
    """Whether the schema is already at the newest migration (one query; Alembic, which takes
    a tenth of a second to load, is only needed when it is not)."""
    try:
        with engine.connect() as conn:
            return (
                conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
                == SCHEMA_HEAD
            )
    except SQLAlchemyError:  # no such table yet (a new database), or no database at all
        return False


def bulk_insert(
    conn: Connection, table: str, columns: Sequence[str], rows: Iterable[tuple]
) -> None:
    """Insert many rows fast: COPY on PostgreSQL, executemany on SQLite."""
    rows = list(rows) if not isinstance(rows, list) else rows
    if not rows:
        return
    cols = ", ".join(columns)
    if conn.dialect.name == "postgresql":
        cursor = conn.connection.driver_connection.cursor()
        with cursor.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    marks = ", ".join("?" for _ in columns)
    conn.connection.driver_connection.executemany(
        f"INSERT INTO {table} ({cols}) VALUES ({marks})", rows
    )


def refresh_statistics(engine: Engine, tables: Iterable[str]) -> None:
    """Let the planner see the new row counts: without it, PostgreSQL plans a freshly loaded
    table as empty and picks nested loops that go quadratic."""
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            for table in tables:
                conn.exec_driver_sql(f"ANALYZE {table}")
        else:
            conn.exec_driver_sql("PRAGMA optimize")


# --- batches -------------------------------------------------------------------------------


def list_batches(engine: Engine) -> list[dict]:
    with Session(engine) as session:
        rows = session.scalars(select(Batch).order_by(Batch.id.desc())).all()
        return [batch_dict(b) for b in rows]


def batch_dict(b: Batch) -> dict:
    """A batch as the command line and the Data page show it."""
    return {
        "id": b.id,
        "kind": b.kind,
        "file": b.file_name,
        "sha256": b.sha256,
        "rows": b.rows_read,
        "added": b.rows_added,
        "replaced": b.rows_replaced,
        "unchanged": b.rows_unchanged,
        "customers_created": b.customers_created,
        "rejected": b.rows_rejected,
        "imported_by": b.imported_by,
        "imported_at": b.imported_at.isoformat() if b.imported_at else None,
    }


def delete_batch(engine: Engine, batch_id: int, user: str = "system") -> dict[str, int]:
    """Undo a batch: remove the rows it wrote and bring back the versions it replaced.

    Where a later batch has since replaced a row of this one, the version this batch replaced
    takes its place in that later batch's history, so undoing the later batch stays exact.
    Returns the number of rows removed per table. Raises ``KeyError`` for an unknown batch.
    """
    removed: dict[str, int] = {}
    with engine.connect() as conn, begin_write(conn):
        batch = conn.execute(
            select(Batch.kind, Batch.file_name).where(Batch.id == batch_id)
        ).first()
        if batch is None:
            raise KeyError(batch_id)
        for name, model in reversed(FACT_TABLES.items()):
            t = model.__table__
            # 1. versions this batch replaced, whose replacement was itself replaced later:
            #    hand them to that later batch's history. The pairs go through a keyed
            #    temporary table: a correlated lookup into the versioned table would scan it
            #    once per row (the key index only covers live rows).
            handed = conn.execute(
                select(t.c.key, t.c.replaced_by).where(
                    t.c.batch_id == batch_id, t.c.replaced_by.is_not(None)
                )
            ).all()
            if handed:
                _hand_over(conn, t, batch_id, handed)
            live = conn.execute(
                select(func.count()).where(t.c.batch_id == batch_id, t.c.replaced_by.is_(None))
            ).scalar_one()
            # 2. remove what the batch wrote, 3. then bring back what it replaced.
            conn.execute(t.delete().where(t.c.batch_id == batch_id))
            conn.execute(update(t).where(t.c.replaced_by == batch_id).values(replaced_by=None))
            removed[name] = live
        conn.execute(Batch.__table__.delete().where(Batch.id == batch_id))
        bump_data_version(conn)
        audit(
            conn,
            user,
            "batch_delete",
            f"batch {batch_id} ({batch.kind} {batch.file_name}): "
            f"{sum(removed.values())} row(s) removed",
        )
    return removed


def _hand_over(conn: Connection, t, batch_id: int, pairs: list) -> None:
    meta = MetaData()
    succ = Table(
        "undo_successor",
        meta,
        Column("key", String(300), primary_key=True),
        Column("successor", Integer),
        prefixes=["TEMPORARY"],
    )
    succ.create(conn)
    bulk_insert(conn, succ.name, ["key", "successor"], [tuple(p) for p in pairs])
    successor = select(succ.c.successor).where(succ.c.key == t.c.key).scalar_subquery()
    conn.execute(
        update(t)
        .where(t.c.replaced_by == batch_id, t.c.key.in_(select(succ.c.key)))
        .values(replaced_by=successor)
    )
    succ.drop(conn)


# --- audit log -----------------------------------------------------------------------------


def audit(conn: Connection, actor: str, action: str, detail: str = "") -> None:
    """Record who did what, in the caller's transaction (so it lands only if the act does)."""
    conn.execute(
        AuditEvent.__table__.insert().values(
            at=dt.datetime.now(dt.UTC), actor=actor, action=action, detail=detail
        )
    )


def audit_log(engine: Engine, limit: int = 200) -> list[dict]:
    """The newest audit events first."""
    t = AuditEvent.__table__
    with engine.connect() as conn:
        rows = (
            conn.execute(
                select(t.c.id, t.c.at, t.c.actor, t.c.action, t.c.detail)
                .order_by(t.c.id.desc())
                .limit(limit)
            )
            .mappings()
            .all()
        )
    return [dict(r) | {"at": r["at"].isoformat()} for r in rows]


# --- settings and taxonomy -----------------------------------------------------------------


def get_setting(engine: Engine, key: str, default: str | None = None) -> str | None:
    with engine.connect() as conn:
        value = conn.execute(select(Setting.value).where(Setting.key == key)).scalar()
    return default if value is None else value


def set_setting(engine: Engine, key: str, value: str, user: str = "system") -> None:
    now = dt.datetime.now(dt.UTC)
    with engine.connect() as conn, begin_write(conn):
        t = Setting.__table__
        exists = conn.execute(select(t.c.key).where(t.c.key == key)).first()
        values = {"value": value, "updated_by": user, "updated_at": now}
        if exists:
            conn.execute(update(t).where(t.c.key == key).values(**values))
        else:
            conn.execute(t.insert().values(key=key, **values))
        audit(conn, user, "setting", f"{key} = {value}")


def delete_setting(engine: Engine, key: str, user: str = "system") -> None:
    with engine.connect() as conn, begin_write(conn):
        gone = conn.execute(Setting.__table__.delete().where(Setting.key == key)).rowcount
        if gone:
            audit(conn, user, "setting", f"{key} removed")


def settings_with_prefix(engine: Engine, prefix: str) -> dict[str, str]:
    """Settings whose key starts with ``prefix`` (e.g. ``target.``), prefix removed."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(Setting.key, Setting.value).where(
                Setting.key.startswith(prefix, autoescape=True)
            )
        ).all()
    return {k[len(prefix) :]: v for k, v in rows}


def reporting_currency(engine: Engine) -> str:
    return (
        get_setting(engine, "currency") or os.environ.get("ENCAISSE_CURRENCY") or DEFAULT_CURRENCY
    ).upper()


def taxonomy(conn_or_engine: Engine | Connection) -> list[dict]:
    """The reason codes with their labels and current owners, in the taxonomy's order."""
    t = ReasonCode.__table__
    stmt = select(t.c.code, t.c.label_en, t.c.label_fr, t.c.owner).order_by(t.c.position, t.c.code)
    if isinstance(conn_or_engine, Engine):
        with conn_or_engine.connect() as conn:
            return [dict(r) for r in conn.execute(stmt).mappings()]
    return [dict(r) for r in conn_or_engine.execute(stmt).mappings()]


def set_reason_owner(engine: Engine, code: str, owner: str, user: str = "system") -> None:
    with engine.connect() as conn, begin_write(conn):
        res = conn.execute(update(ReasonCode).where(ReasonCode.code == code).values(owner=owner))
        if res.rowcount == 0:
            raise KeyError(code)
        bump_data_version(conn)
        audit(conn, user, "taxonomy", f"{code} owned by {owner}")


# --- data version ---------------------------------------------------------------------------

DATA_VERSION_KEY = "data.version"


def bump_data_version(conn: Connection) -> None:
    """Mark the analytic data as changed, inside the writer's transaction: the columnar copy
    of the live tables (``dashboard.metrics.columnar``) is rebuilt when its stamp no longer
    matches."""
    t = Setting.__table__
    conn.execute(t.delete().where(t.c.key == DATA_VERSION_KEY))
    conn.execute(
        t.insert().values(
            key=DATA_VERSION_KEY,
            value=uuid.uuid4().hex,
            updated_by="system",
            updated_at=dt.datetime.now(dt.UTC),
        )
    )


def data_version(conn: Connection) -> str:
    """The stamp of the live analytic data ("" before the first write)."""
    t = Setting.__table__
    return conn.execute(select(t.c.value).where(t.c.key == DATA_VERSION_KEY)).scalar() or ""


def is_empty(engine: Engine) -> bool:
    with engine.connect() as conn:
        return conn.execute(text("SELECT 1 FROM invoices LIMIT 1")).first() is None
