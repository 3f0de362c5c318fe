"""files as teams really have them

Revision ID: 0005
Revises: 0004
Survey answers may be anonymous (no customer id); an action keeps the dunning log's own name of
its step; a customer has a type (b2b, b2c, public) and a credit limit; an invoice of a ledger
may be written off (amount and date); a batch counts the rows it refused (--reject-file); payment
plans (one row per instalment) and exchange rates are tables of their own; an invoice or payment
in another currency keeps its own currency and amount.
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "batches",
        sa.Column("rows_rejected", sa.Integer(), nullable=False, server_default="0"),
    )
    with op.batch_alter_table("surveys") as batch:
        batch.alter_column("customer_id", existing_type=sa.String(100), nullable=True)
    op.add_column("actions", sa.Column("step", sa.String(200), nullable=True))
    op.add_column("customers", sa.Column("customer_type", sa.String(20), nullable=True))
    op.add_column("customers", sa.Column("credit_limit_cents", sa.BigInteger(), nullable=True))
    op.add_column("invoices", sa.Column("written_off_cents", sa.BigInteger(), nullable=True))
    op.add_column("invoices", sa.Column("written_off_date", sa.Date(), nullable=True))
    op.create_table(
        "plans",
        sa.Column("plan_id", sa.String(length=100), nullable=False),
        sa.Column("customer_id", sa.String(length=100), nullable=False),
        sa.Column("invoice_id", sa.String(length=100), nullable=True),
        sa.Column("instalment", sa.Integer(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("agreed_date", sa.Date(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("row_hash", sa.BigInteger(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("replaced_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["batches.id"], name=op.f("fk_plans_batch_id_batches")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plans")),
    )
    for table in ("invoices", "payments"):
        op.add_column(table, sa.Column("original_currency", sa.String(3), nullable=True))
        op.add_column(table, sa.Column("original_amount_cents", sa.BigInteger(), nullable=True))
    op.add_column("invoices", sa.Column("fx_rate", sa.Float(), nullable=True))
    op.create_table(
        "rates",
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("rate", sa.Float(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("row_hash", sa.BigInteger(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("replaced_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["batches.id"], name=op.f("fk_rates_batch_id_batches")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rates")),
    )
    with op.batch_alter_table("rates", schema=None) as batch_op:
        for column in ("batch_id", "replaced_by", "date", "currency"):
            batch_op.create_index(batch_op.f(f"ix_rates_{column}"), [column], unique=False)
        batch_op.create_index(
            "uq_rates_live_key",
            ["key"],
            unique=True,
            sqlite_where=sa.text("replaced_by IS NULL"),
            postgresql_where=sa.text("replaced_by IS NULL"),
        )
    with op.batch_alter_table("plans", schema=None) as batch_op:
        for column in (
            "batch_id",
            "replaced_by",
            "plan_id",
            "customer_id",
            "invoice_id",
            "due_date",
        ):
            batch_op.create_index(batch_op.f(f"ix_plans_{column}"), [column], unique=False)
        batch_op.create_index(
            "uq_plans_live_key",
            ["key"],
            unique=True,
            sqlite_where=sa.text("replaced_by IS NULL"),
            postgresql_where=sa.text("replaced_by IS NULL"),
        )


def downgrade() -> None:
    op.drop_table("rates")
    op.drop_column("invoices", "fx_rate")
    for table in ("invoices", "payments"):
        op.drop_column(table, "original_amount_cents")
        op.drop_column(table, "original_currency")
    op.drop_table("plans")
    op.drop_column("batches", "rows_rejected")
    op.drop_column("invoices", "written_off_date")
    op.drop_column("invoices", "written_off_cents")
    op.drop_column("customers", "credit_limit_cents")
    op.drop_column("customers", "customer_type")
    op.drop_column("actions", "step")
    op.execute("DELETE FROM surveys WHERE customer_id IS NULL")
    with op.batch_alter_table("surveys") as batch:
        batch.alter_column("customer_id", existing_type=sa.String(100), nullable=False)
