"""the time of an action

Revision ID: 0006
Revises: 0005
A dunning log or a call log may say at what time a reminder went out (its own column, or a
date and time): kept, so the cash that followed can be read by hour of the day.
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("actions", sa.Column("action_time", sa.Time(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("actions") as batch:
        batch.drop_column("action_time")
