"""Idempotent re-imports, corrected files, and undoing batches."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from dashboard.storage.models import Customer, Invoice, Payment
from dashboard.storage.store import delete_batch, list_batches
from data_loaders.importer import import_file
from tests.conftest import table_counts, write

HEAD = "invoice_id,customer_id,issue_date,due_date,amount\n"
V1 = HEAD + "A,C1,2024-01-10,2024-02-09,1000\nB,C1,2024-02-15,2024-03-16,500\n"
V2 = HEAD + "A,C1,2024-01-10,2024-02-09,1100\nC,C2,2024-02-20,2024-03-20,70\n"


def live_amounts(engine) -> dict[str, int]:
    t = Invoice.__table__
    with engine.connect() as conn:
        return dict(
            conn.execute(
                select(t.c.invoice_id, t.c.amount_cents).where(t.c.replaced_by.is_(None))
            ).all()
        )


def test_same_file_twice_changes_nothing(engine, tmp_path):
    path = write(tmp_path, "v1.csv", V1)
    first = import_file(engine, "invoices", path)
    state = (live_amounts(engine), table_counts(engine)["invoices"])
    second = import_file(engine, "invoices", path)
    assert (first.added, second.added, second.replaced, second.unchanged) == (2, 0, 0, 2)
    assert second.customers_created == []
    assert (live_amounts(engine), table_counts(engine)["invoices"]) == state


def test_corrected_file_replaces_and_undo_restores(engine, tmp_path):
    b1 = import_file(engine, "invoices", write(tmp_path, "v1.csv", V1)).batch_id
    r2 = import_file(engine, "invoices", write(tmp_path, "v2.csv", V2))
    assert (r2.added, r2.replaced, r2.unchanged) == (1, 1, 0)
    assert r2.customers_created == ["C2"]
    assert live_amounts(engine) == {"A": 110000, "B": 50000, "C": 7000}
    removed = delete_batch(engine, r2.batch_id)
    assert removed["invoices"] == 2 and removed["customers"] == 1
    assert live_amounts(engine) == {"A": 100000, "B": 50000}
    assert [b["id"] for b in list_batches(engine)] == [b1]
    delete_batch(engine, b1)
    assert live_amounts(engine) == {}
    assert table_counts(engine) == {k: 0 for k in table_counts(engine)}


def test_undo_an_older_batch_keeps_later_versions_exact(engine, tmp_path):
    b1 = import_file(engine, "invoices", write(tmp_path, "v1.csv", V1)).batch_id
    b2 = import_file(engine, "invoices", write(tmp_path, "v2.csv", V2)).batch_id
    v3 = HEAD + "A,C1,2024-01-10,2024-02-09,1200\n"
    b3 = import_file(engine, "invoices", write(tmp_path, "v3.csv", v3)).batch_id
    delete_batch(engine, b2)  # A's 1100 was already replaced by b3's 1200
    assert live_amounts(engine) == {"A": 120000, "B": 50000}
    delete_batch(engine, b3)  # back to what b2's undo left: b1's version
    assert live_amounts(engine) == {"A": 100000, "B": 50000}
    delete_batch(engine, b1)
    assert live_amounts(engine) == {}


def test_undo_unknown_batch(engine):
    with pytest.raises(KeyError):
        delete_batch(engine, 999)


def test_ledger_restatement_without_settlement_retires_the_payment(engine, tmp_path):
    paid = (
        "invoice_id,customer_id,issue_date,due_date,amount,paid_date\n"
        "A,C1,2024-01-10,2024-02-09,1000,2024-02-20\n"
    )
    unpaid = (
        "invoice_id,customer_id,issue_date,due_date,amount,paid_date\n"
        "A,C1,2024-01-10,2024-02-09,1000,\n"
    )
    import_file(engine, "ledger", write(tmp_path, "l1.csv", paid))
    r2 = import_file(engine, "ledger", write(tmp_path, "l2.csv", unpaid))
    assert r2.replaced == 1
    t = Payment.__table__
    with engine.connect() as conn:
        live = conn.execute(select(t.c.key).where(t.c.replaced_by.is_(None))).all()
    assert live == []
    delete_batch(engine, r2.batch_id)
    with engine.connect() as conn:
        assert conn.execute(select(t.c.key).where(t.c.replaced_by.is_(None))).all() == [
            ("ledger:A",)
        ]


def test_batch_records_file_hash_and_counts(engine, tmp_path):
    import hashlib

    path = write(tmp_path, "v1.csv", V1)
    import_file(engine, "invoices", path, user="alice")
    [b] = list_batches(engine)
    assert b["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert (b["kind"], b["file"], b["rows"], b["added"], b["imported_by"]) == (
        "invoices",
        "v1.csv",
        2,
        2,
        "alice",
    )
    assert b["customers_created"] == 1
    t = Customer.__table__
    with engine.connect() as conn:
        assert conn.execute(select(t.c.segment)).scalar_one() == "Unassigned"


def test_an_undone_batch_id_is_never_given_again(engine, tmp_path):
    first = import_file(engine, "invoices", write(tmp_path, "v1.csv", V1)).batch_id
    newest = import_file(engine, "invoices", write(tmp_path, "v2.csv", V2)).batch_id
    delete_batch(engine, newest)
    again = import_file(engine, "invoices", write(tmp_path, "v2.csv", V2)).batch_id
    assert first < newest < again  # the audit log never names two imports alike


OLD_ROWS = [  # an invoices import (batch 1) and a second one (batch 2) undone, as 0003 stored them
    "INSERT INTO batches (id, kind, file_name, sha256, rows_read, rows_added, rows_replaced, "
    "rows_unchanged, customers_created, imported_by, imported_at) VALUES "
    "(1, 'invoices', 'v1.csv', 'x', 2, 2, 0, 0, 1, 'cli', '2024-03-01 10:00:00')",
    "INSERT INTO customers (id, key, row_hash, batch_id, customer_id, segment) VALUES "
    "(1, 'C1', 1, 1, 'C1', 'Unassigned')",
    "INSERT INTO invoices (id, key, row_hash, batch_id, invoice_id, customer_id, issue_date, "
    "due_date, amount_cents, currency, disputed) VALUES "
    "(1, 'A', 2, 1, 'A', 'C1', '2024-01-10', '2024-02-09', 100000, 'EUR', false), "
    "(2, 'B', 3, 1, 'B', 'C1', '2024-02-15', '2024-03-16', 50000, 'EUR', false)",
    "INSERT INTO audit_log (id, at, actor, action, detail) VALUES "
    "(1, '2024-03-01 10:00:00', 'cli', 'import', 'batch 1: invoices v1.csv'), "
    "(2, '2024-03-01 10:05:00', 'cli', 'import', 'batch 2: invoices v2.csv'), "
    "(3, '2024-03-01 10:06:00', 'cli', 'batch_delete', 'batch 2 (invoices v2.csv): removed')",
]


def test_the_upgrade_to_never_reused_ids_keeps_every_batch_and_reference(db_url, tmp_path):
    """A store made before revision 0004, with imports in it, upgrades in place (its rows are
    written as revision 0003 stored them: today's importer writes later columns)."""
    from alembic import command
    from sqlalchemy import text

    from dashboard.storage.store import alembic_config, make_engine, upgrade

    engine = make_engine(db_url)
    cfg = alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0003")
        for sql in OLD_ROWS:
            conn.execute(text(sql))
        if engine.dialect.name == "postgresql":  # where its sequences stood: 2 batches given
            for table, last in (
                ("batches", 2),
                ("customers", 1),
                ("invoices", 2),
                ("audit_log", 3),
            ):
                conn.execute(
                    text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), {last})")
                )

    def state():  # the tables of revision 0003 (later ones do not exist before the upgrade)
        with engine.connect() as conn:
            counts = {
                t: conn.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar()
                for t in ("customers", "invoices", "payments", "batches")
            }
            rows = conn.execute(text("SELECT id, kind, file_name, rows_read FROM batches")).all()
        return counts, rows

    before = state()
    upgrade(engine)
    assert state() == before
    assert before[0]["invoices"] == 2 and [b[0] for b in before[1]] == [1]
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            assert conn.exec_driver_sql("PRAGMA foreign_key_check").all() == []
    later = import_file(engine, "invoices", write(tmp_path, "v2.csv", V2)).batch_id
    assert later > 2  # even the id undone before the upgrade is not given again
    engine.dispose()


def test_the_migrations_build_the_schema_the_models_declare(engine):
    """Every table, column and index a model declares is made by a migration, and nothing
    else (the promised-date index of 0007 included): an index declared and never migrated
    would serve only the tests' databases."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlalchemy import inspect

    from dashboard.storage.models import Base

    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
    indexes = {ix["name"]: ix for ix in inspect(engine).get_indexes("actions")}
    assert indexes["ix_actions_promised_date"]["column_names"] == ["promised_date"]
