"""the promises found by their date

Revision ID: 0007
Revises: 0006
The promises falling due in a window were found by reading every action (the Overview asks on
each filter change): a partial index of the actions that promise a date.
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

WHERE = "promised_date IS NOT NULL"  # (written out: a migration does not import live code)


def upgrade() -> None:
    op.create_index(
        "ix_actions_promised_date",
        "actions",
        ["promised_date"],
        sqlite_where=sa.text(WHERE),
        postgresql_where=sa.text(WHERE),
    )
    if op.get_bind().dialect.name == "sqlite":  # else its planner ignores it until the next import
        op.execute("ANALYZE ix_actions_promised_date")


def downgrade() -> None:
    op.drop_index("ix_actions_promised_date", table_name="actions")
