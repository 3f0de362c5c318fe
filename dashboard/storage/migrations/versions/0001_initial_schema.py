"""initial schema

Revision ID: 0001
Revises:
Creates every table and seeds the default late-payment taxonomy of SPEC.md.
"""

import sqlalchemy as sa
from alembic import op

# The taxonomy as this revision seeded it: a frozen copy, so that later edits of the live
# default (dashboard.core.taxonomy) never change what an old migration does.
DEFAULT_REASONS = [
    ("invoice_not_received", "Invoice not received", "Facture non reçue", "Billing (ADV)"),
    (
        "invoice_error",
        "Invoice error (price, quantity, address)",
        "Facture erronée",
        "Billing (ADV)",
    ),
    (
        "wrong_contact",
        "Wrong billing contact or address",
        "Mauvais contact de facturation",
        "Billing (ADV)",
    ),
    ("missing_po", "Missing purchase order or reference", "Bon de commande manquant", "Sales"),
    (
        "quality_dispute",
        "Quality dispute, customer dissatisfied",
        "Litige qualité, client insatisfait",
        "Sales",
    ),
    ("price_dispute", "Price or terms dispute", "Litige sur le prix ou les conditions", "Sales"),
    (
        "delivery_issue",
        "Delivery late or incomplete",
        "Livraison en retard ou incomplète",
        "Logistics",
    ),
    (
        "payment_not_applied",
        "Payment received but not applied",
        "Paiement reçu non imputé",
        "Accounting",
    ),
    (
        "cash_difficulty",
        "Customer cash-flow difficulty",
        "Difficulté de trésorerie du client",
        "Customer",
    ),
    (
        "approval_workflow",
        "Customer approval workflow",
        "Circuit de validation du client",
        "Customer",
    ),
    ("forgotten", "Oversight", "Oubli", "Customer"),
    ("payment_failed", "Payment failed or rejected", "Paiement rejeté", "Customer"),
    ("other", "Other", "Autre", "Credit & Collections"),
]

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "batches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("file_name", sa.String(length=400), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("rows_read", sa.Integer(), nullable=False),
        sa.Column("rows_added", sa.Integer(), nullable=False),
        sa.Column("rows_replaced", sa.Integer(), nullable=False),
        sa.Column("rows_unchanged", sa.Integer(), nullable=False),
        sa.Column("customers_created", sa.Integer(), nullable=False),
        sa.Column("imported_by", sa.String(length=200), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_batches")),
    )
    op.create_table(
        "reason_codes",
        sa.Column("code", sa.String(length=50), nullable=False),
        sa.Column("label_en", sa.String(length=200), nullable=False),
        sa.Column("label_fr", sa.String(length=200), nullable=False),
        sa.Column("owner", sa.String(length=100), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_reason_codes")),
    )
    op.create_table(
        "settings",
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("updated_by", sa.String(length=200), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_settings")),
    )
    op.create_table(
        "actions",
        sa.Column("action_id", sa.String(length=100), nullable=True),
        sa.Column("customer_id", sa.String(length=100), nullable=False),
        sa.Column("invoice_id", sa.String(length=100), nullable=True),
        sa.Column("action_date", sa.Date(), nullable=False),
        sa.Column("channel", sa.String(length=50), nullable=False),
        sa.Column("outcome", sa.String(length=50), nullable=True),
        sa.Column("promised_date", sa.Date(), nullable=True),
        sa.Column("promised_amount_cents", sa.BigInteger(), nullable=True),
        sa.Column("cost_cents", sa.BigInteger(), nullable=False),
        sa.Column("collector", sa.String(length=100), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("row_hash", sa.BigInteger(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("replaced_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["batches.id"], name=op.f("fk_actions_batch_id_batches")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_actions")),
    )
    with op.batch_alter_table("actions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_actions_action_date"), ["action_date"], unique=False)
        batch_op.create_index(batch_op.f("ix_actions_batch_id"), ["batch_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_actions_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_actions_invoice_id"), ["invoice_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_actions_replaced_by"), ["replaced_by"], unique=False)
        batch_op.create_index(
            "uq_actions_live_key",
            ["key"],
            unique=True,
            sqlite_where=sa.text("replaced_by IS NULL"),
            postgresql_where=sa.text("replaced_by IS NULL"),
        )

    op.create_table(
        "costs",
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("category", sa.String(length=50), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("channel", sa.String(length=50), nullable=True),
        sa.Column("segment", sa.String(length=100), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("row_hash", sa.BigInteger(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("replaced_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["batches.id"], name=op.f("fk_costs_batch_id_batches")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_costs")),
    )
    with op.batch_alter_table("costs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_costs_batch_id"), ["batch_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_costs_month"), ["month"], unique=False)
        batch_op.create_index(batch_op.f("ix_costs_replaced_by"), ["replaced_by"], unique=False)
        batch_op.create_index(
            "uq_costs_live_key",
            ["key"],
            unique=True,
            sqlite_where=sa.text("replaced_by IS NULL"),
            postgresql_where=sa.text("replaced_by IS NULL"),
        )

    op.create_table(
        "customers",
        sa.Column("customer_id", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=True),
        sa.Column("segment", sa.String(length=100), nullable=False),
        sa.Column("region", sa.String(length=100), nullable=True),
        sa.Column("country", sa.String(length=100), nullable=True),
        sa.Column("industry", sa.String(length=100), nullable=True),
        sa.Column("risk_class", sa.String(length=50), nullable=True),
        sa.Column("payment_terms_days", sa.Integer(), nullable=True),
        sa.Column("collector", sa.String(length=100), nullable=True),
        sa.Column("preferred_channel", sa.String(length=50), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("row_hash", sa.BigInteger(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("replaced_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["batches.id"], name=op.f("fk_customers_batch_id_batches")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customers")),
    )
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_customers_batch_id"), ["batch_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_customers_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_customers_replaced_by"), ["replaced_by"], unique=False)
        batch_op.create_index(
            "uq_customers_live_key",
            ["key"],
            unique=True,
            sqlite_where=sa.text("replaced_by IS NULL"),
            postgresql_where=sa.text("replaced_by IS NULL"),
        )

    op.create_table(
        "invoices",
        sa.Column("invoice_id", sa.String(length=100), nullable=False),
        sa.Column("customer_id", sa.String(length=100), nullable=False),
        sa.Column("issue_date", sa.Date(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("disputed", sa.Boolean(), nullable=False),
        sa.Column("delivery_channel", sa.String(length=50), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("row_hash", sa.BigInteger(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("replaced_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["batches.id"], name=op.f("fk_invoices_batch_id_batches")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoices")),
    )
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_invoices_batch_id"), ["batch_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_invoices_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_invoices_due_date"), ["due_date"], unique=False)
        batch_op.create_index(batch_op.f("ix_invoices_invoice_id"), ["invoice_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_invoices_issue_date"), ["issue_date"], unique=False)
        batch_op.create_index(batch_op.f("ix_invoices_replaced_by"), ["replaced_by"], unique=False)
        batch_op.create_index(
            "uq_invoices_live_key",
            ["key"],
            unique=True,
            sqlite_where=sa.text("replaced_by IS NULL"),
            postgresql_where=sa.text("replaced_by IS NULL"),
        )

    op.create_table(
        "payments",
        sa.Column("payment_id", sa.String(length=100), nullable=True),
        sa.Column("invoice_id", sa.String(length=100), nullable=False),
        sa.Column("payment_date", sa.Date(), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("method", sa.String(length=50), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("row_hash", sa.BigInteger(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("replaced_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["batches.id"], name=op.f("fk_payments_batch_id_batches")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payments")),
    )
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payments_batch_id"), ["batch_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_payments_invoice_id"), ["invoice_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_payments_payment_date"), ["payment_date"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_payments_replaced_by"), ["replaced_by"], unique=False)
        batch_op.create_index(
            "uq_payments_live_key",
            ["key"],
            unique=True,
            sqlite_where=sa.text("replaced_by IS NULL"),
            postgresql_where=sa.text("replaced_by IS NULL"),
        )

    op.create_table(
        "reasons",
        sa.Column("invoice_id", sa.String(length=100), nullable=False),
        sa.Column("reason", sa.String(length=50), nullable=False),
        sa.Column("owner", sa.String(length=100), nullable=True),
        sa.Column("recorded_date", sa.Date(), nullable=True),
        sa.Column("resolved_date", sa.Date(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("row_hash", sa.BigInteger(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("replaced_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["batches.id"], name=op.f("fk_reasons_batch_id_batches")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reasons")),
    )
    with op.batch_alter_table("reasons", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reasons_batch_id"), ["batch_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_reasons_invoice_id"), ["invoice_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_reasons_replaced_by"), ["replaced_by"], unique=False)
        batch_op.create_index(
            "uq_reasons_live_key",
            ["key"],
            unique=True,
            sqlite_where=sa.text("replaced_by IS NULL"),
            postgresql_where=sa.text("replaced_by IS NULL"),
        )

    op.create_table(
        "surveys",
        sa.Column("response_id", sa.String(length=100), nullable=True),
        sa.Column("customer_id", sa.String(length=100), nullable=False),
        sa.Column("response_date", sa.Date(), nullable=False),
        sa.Column("survey_type", sa.String(length=10), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("touchpoint", sa.String(length=100), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("row_hash", sa.BigInteger(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("replaced_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["batches.id"], name=op.f("fk_surveys_batch_id_batches")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_surveys")),
    )
    with op.batch_alter_table("surveys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_surveys_batch_id"), ["batch_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_surveys_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_surveys_replaced_by"), ["replaced_by"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_surveys_response_date"), ["response_date"], unique=False
        )
        batch_op.create_index(
            "uq_surveys_live_key",
            ["key"],
            unique=True,
            sqlite_where=sa.text("replaced_by IS NULL"),
            postgresql_where=sa.text("replaced_by IS NULL"),
        )

    codes = sa.table(
        "reason_codes",
        sa.column("code"),
        sa.column("label_en"),
        sa.column("label_fr"),
        sa.column("owner"),
        sa.column("position"),
    )
    op.bulk_insert(
        codes,
        [
            {"code": c, "label_en": en, "label_fr": fr, "owner": owner, "position": i}
            for i, (c, en, fr, owner) in enumerate(DEFAULT_REASONS)
        ],
    )


def downgrade() -> None:
    with op.batch_alter_table("surveys", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_surveys_live_key",
            sqlite_where=sa.text("replaced_by IS NULL"),
            postgresql_where=sa.text("replaced_by IS NULL"),
        )
        batch_op.drop_index(batch_op.f("ix_surveys_response_date"))
        batch_op.drop_index(batch_op.f("ix_surveys_replaced_by"))
        batch_op.drop_index(batch_op.f("ix_surveys_customer_id"))
        batch_op.drop_index(batch_op.f("ix_surveys_batch_id"))

    op.drop_table("surveys")
    with op.batch_alter_table("reasons", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_reasons_live_key",
            sqlite_where=sa.text("replaced_by IS NULL"),
            postgresql_where=sa.text("replaced_by IS NULL"),
        )
        batch_op.drop_index(batch_op.f("ix_reasons_replaced_by"))
        batch_op.drop_index(batch_op.f("ix_reasons_invoice_id"))
        batch_op.drop_index(batch_op.f("ix_reasons_batch_id"))

    op.drop_table("reasons")
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_payments_live_key",
            sqlite_where=sa.text("replaced_by IS NULL"),
            postgresql_where=sa.text("replaced_by IS NULL"),
        )
        batch_op.drop_index(batch_op.f("ix_payments_replaced_by"))
        batch_op.drop_index(batch_op.f("ix_payments_payment_date"))
        batch_op.drop_index(batch_op.f("ix_payments_invoice_id"))
        batch_op.drop_index(batch_op.f("ix_payments_batch_id"))

    op.drop_table("payments")
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_invoices_live_key",
            sqlite_where=sa.text("replaced_by IS NULL"),
            postgresql_where=sa.text("replaced_by IS NULL"),
        )
        batch_op.drop_index(batch_op.f("ix_invoices_replaced_by"))
        batch_op.drop_index(batch_op.f("ix_invoices_issue_date"))
        batch_op.drop_index(batch_op.f("ix_invoices_invoice_id"))
        batch_op.drop_index(batch_op.f("ix_invoices_due_date"))
        batch_op.drop_index(batch_op.f("ix_invoices_customer_id"))
        batch_op.drop_index(batch_op.f("ix_invoices_batch_id"))

    op.drop_table("invoices")
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_customers_live_key",
            sqlite_where=sa.text("replaced_by IS NULL"),
            postgresql_where=sa.text("replaced_by IS NULL"),
        )
        batch_op.drop_index(batch_op.f("ix_customers_replaced_by"))
        batch_op.drop_index(batch_op.f("ix_customers_customer_id"))
        batch_op.drop_index(batch_op.f("ix_customers_batch_id"))

    op.drop_table("customers")
    with op.batch_alter_table("costs", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_costs_live_key",
            sqlite_where=sa.text("replaced_by IS NULL"),
            postgresql_where=sa.text("replaced_by IS NULL"),
        )
        batch_op.drop_index(batch_op.f("ix_costs_replaced_by"))
        batch_op.drop_index(batch_op.f("ix_costs_month"))
        batch_op.drop_index(batch_op.f("ix_costs_batch_id"))

    op.drop_table("costs")
    with op.batch_alter_table("actions", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_actions_live_key",
            sqlite_where=sa.text("replaced_by IS NULL"),
            postgresql_where=sa.text("replaced_by IS NULL"),
        )
        batch_op.drop_index(batch_op.f("ix_actions_replaced_by"))
        batch_op.drop_index(batch_op.f("ix_actions_invoice_id"))
        batch_op.drop_index(batch_op.f("ix_actions_customer_id"))
        batch_op.drop_index(batch_op.f("ix_actions_batch_id"))
        batch_op.drop_index(batch_op.f("ix_actions_action_date"))

    op.drop_table("actions")
    op.drop_table("settings")
    op.drop_table("reason_codes")
    op.drop_table("batches")
