"""batch ids never reused

Revision ID: 0004
Revises: 0003
On SQLite an integer primary key takes the largest id + 1, so undoing the newest batch gave its
id to the next import and the audit log named two imports "batch 14". The batches table is
rebuilt with AUTOINCREMENT (ids only grow, whatever is deleted). PostgreSQL's sequence never
hands out an id twice: nothing to do there.
"""

import re

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


TABLE = """
CREATE TABLE batches_new (
    id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    kind VARCHAR(20) NOT NULL,
    file_name VARCHAR(400) NOT NULL,
    sha256 VARCHAR(64) NOT NULL,
    rows_read INTEGER NOT NULL,
    rows_added INTEGER NOT NULL,
    rows_replaced INTEGER NOT NULL,
    rows_unchanged INTEGER NOT NULL,
    customers_created INTEGER NOT NULL,
    imported_by VARCHAR(200) NOT NULL,
    imported_at DATETIME NOT NULL
)"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    # The imported tables reference batches, and SQLite cannot switch foreign keys off inside
    # the migration's transaction: they are checked at commit instead. Dropping the old table
    # counts its references as violations; putting the rows back into the new one (after the
    # rename, so that it is the table they reference) counts them as resolved again.
    op.execute("PRAGMA defer_foreign_keys = ON")
    op.execute("CREATE TEMPORARY TABLE batches_copy AS SELECT * FROM batches")
    op.execute(TABLE)
    op.execute("DROP TABLE batches")
    op.execute("ALTER TABLE batches_new RENAME TO batches")
    op.execute("INSERT INTO batches SELECT * FROM batches_copy ORDER BY id")
    op.execute("DROP TABLE batches_copy")
    # Ids already given to batches undone before this revision live on in the audit log
    # ("batch 14: invoices …", "batch 14 (invoices …): … removed"): the sequence starts
    # above them too.
    conn = op.get_bind()
    details = conn.execute(
        sa.text("SELECT detail FROM audit_log WHERE action IN ('import', 'batch_delete')")
    ).scalars()
    given = [int(m.group(1)) for d in details for m in [re.match(r"batch (\d+)", d or "")] if m]
    kept = conn.execute(sa.text("SELECT MAX(id) FROM batches")).scalar() or 0
    top = max([kept, *given])
    if top:
        conn.execute(sa.text("DELETE FROM sqlite_sequence WHERE name = 'batches'"))
        conn.execute(
            sa.text("INSERT INTO sqlite_sequence (name, seq) VALUES ('batches', :top)"),
            {"top": top},
        )


def downgrade() -> None:
    pass  # AUTOINCREMENT is harmless to the earlier revisions
