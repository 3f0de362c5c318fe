"""data version stamp

Revision ID: 0003
Revises: 0002
Stamps the live data with a version (a settings row that every import, undo and taxonomy change
moves), so that the columnar copy of the tables (dashboard.metrics.columnar) knows when it is stale.
"""

import datetime as dt
import uuid

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

KEY = "data.version"


def upgrade() -> None:
    settings = sa.table(
        "settings",
        sa.column("key", sa.String),
        sa.column("value", sa.Text),
        sa.column("updated_by", sa.String),
        sa.column("updated_at", sa.DateTime(timezone=True)),
    )
    conn = op.get_bind()
    if conn.execute(sa.select(settings.c.key).where(settings.c.key == KEY)).first() is None:
        op.execute(
            settings.insert().values(
                key=KEY,
                value=uuid.uuid4().hex,
                updated_by="system",
                updated_at=dt.datetime.now(dt.UTC),
            )
        )


def downgrade() -> None:
    settings = sa.table("settings", sa.column("key", sa.String))
    op.execute(settings.delete().where(settings.c.key == KEY))
