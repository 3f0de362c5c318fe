"""Typed SQLAlchemy 2 models of the Encaisse store.

Every imported table carries the same bookkeeping columns (``Versioned``): a natural ``key``
(the row's id, or a hash of its content), a ``row_hash`` of its values, the ``batch_id`` that
wrote it and ``replaced_by``, the batch that superseded it. Only rows with ``replaced_by IS
NULL`` are live; superseded rows are kept so that undoing a batch restores them exactly.
Money is stored in integer cents so that sums reconcile to the cent on every database.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    Time,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Batch(Base):
    """One import: what file, what it did, who did it and when."""

    __tablename__ = "batches"
    __table_args__ = {"sqlite_autoincrement": True}  # an id is never given twice (0004)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    file_name: Mapped[str] = mapped_column(String(400))
    sha256: Mapped[str] = mapped_column(String(64))
    rows_read: Mapped[int] = mapped_column(Integer, default=0)
    rows_added: Mapped[int] = mapped_column(Integer, default=0)
    rows_replaced: Mapped[int] = mapped_column(Integer, default=0)
    rows_unchanged: Mapped[int] = mapped_column(Integer, default=0)
    customers_created: Mapped[int] = mapped_column(Integer, default=0)
    rows_rejected: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    imported_by: Mapped[str] = mapped_column(String(200))
    imported_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class Versioned:
    """Bookkeeping columns shared by every imported table."""

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(300))
    row_hash: Mapped[int] = mapped_column(BigInteger)
    batch_id: Mapped[int] = mapped_column(Integer, ForeignKey("batches.id"), index=True)
    replaced_by: Mapped[int | None] = mapped_column(Integer, index=True)

    @declared_attr.directive
    def __table_args__(cls) -> tuple:  # noqa: N805 - SQLAlchemy's declared_attr signature
        name = cls.__tablename__
        # One live row per key; superseded versions may share it.
        return (
            Index(
                f"uq_{name}_live_key",
                "key",
                unique=True,
                sqlite_where=text("replaced_by IS NULL"),
                postgresql_where=text("replaced_by IS NULL"),
            ),
        )


class Customer(Versioned, Base):
    __tablename__ = "customers"
    customer_id: Mapped[str] = mapped_column(String(100), index=True)
    name: Mapped[str | None] = mapped_column(String(300))
    segment: Mapped[str] = mapped_column(String(100), default="Unassigned")
    region: Mapped[str | None] = mapped_column(String(100))
    country: Mapped[str | None] = mapped_column(String(100))
    industry: Mapped[str | None] = mapped_column(String(100))
    risk_class: Mapped[str | None] = mapped_column(String(50))
    payment_terms_days: Mapped[int | None] = mapped_column(Integer)
    collector: Mapped[str | None] = mapped_column(String(100))
    preferred_channel: Mapped[str | None] = mapped_column(String(50))
    customer_type: Mapped[str | None] = mapped_column(String(20))  # b2b (when empty), b2c, public
    credit_limit_cents: Mapped[int | None] = mapped_column(BigInteger)


class Invoice(Versioned, Base):
    __tablename__ = "invoices"
    invoice_id: Mapped[str] = mapped_column(String(100), index=True)
    customer_id: Mapped[str] = mapped_column(String(100), index=True)
    issue_date: Mapped[dt.date] = mapped_column(Date, index=True)
    due_date: Mapped[dt.date] = mapped_column(Date, index=True)
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    disputed: Mapped[bool] = mapped_column(Boolean, default=False)
    delivery_channel: Mapped[str | None] = mapped_column(String(50))
    # an invoice in another currency: its own currency and amount, and the rate it was
    # converted at (its issue date's); amount_cents is in the reporting currency
    original_currency: Mapped[str | None] = mapped_column(String(3))
    original_amount_cents: Mapped[int | None] = mapped_column(BigInteger)
    fx_rate: Mapped[float | None] = mapped_column(Float)
    # a ledger's write-off: the amount that left receivables unpaid, and when (never collected)
    written_off_cents: Mapped[int | None] = mapped_column(BigInteger)
    written_off_date: Mapped[dt.date | None] = mapped_column(Date)


class Payment(Versioned, Base):
    __tablename__ = "payments"
    payment_id: Mapped[str | None] = mapped_column(String(100))
    invoice_id: Mapped[str] = mapped_column(String(100), index=True)
    payment_date: Mapped[dt.date] = mapped_column(Date, index=True)
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    method: Mapped[str | None] = mapped_column(String(50))
    status: Mapped[str] = mapped_column(String(20), default="completed")
    original_currency: Mapped[str | None] = mapped_column(String(3))  # as for invoices
    original_amount_cents: Mapped[int | None] = mapped_column(BigInteger)


class Action(Versioned, Base):
    __tablename__ = "actions"
    action_id: Mapped[str | None] = mapped_column(String(100))
    customer_id: Mapped[str] = mapped_column(String(100), index=True)
    invoice_id: Mapped[str | None] = mapped_column(String(100), index=True)
    action_date: Mapped[dt.date] = mapped_column(Date, index=True)
    action_time: Mapped[dt.time | None] = mapped_column(Time)  # when the file gives one
    channel: Mapped[str] = mapped_column(String(50))
    step: Mapped[str | None] = mapped_column(String(200))  # the source's name of the action
    outcome: Mapped[str | None] = mapped_column(String(50))
    promised_date: Mapped[dt.date | None] = mapped_column(Date)
    promised_amount_cents: Mapped[int | None] = mapped_column(BigInteger)
    cost_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    collector: Mapped[str | None] = mapped_column(String(100))


# The promises falling due in a window, found without reading every action: the Overview asks
# on each filter change (at ten million invoices a scan of 3.3M actions, 0.2 s on three cores
# of PostgreSQL). Partial: most actions promise nothing.
PROMISED_WHERE = "promised_date IS NOT NULL"
Index(
    "ix_actions_promised_date",
    Action.promised_date,
    sqlite_where=text(PROMISED_WHERE),
    postgresql_where=text(PROMISED_WHERE),
)


class Reason(Versioned, Base):
    __tablename__ = "reasons"
    invoice_id: Mapped[str] = mapped_column(String(100), index=True)
    reason: Mapped[str] = mapped_column(String(50))
    owner: Mapped[str | None] = mapped_column(String(100))
    recorded_date: Mapped[dt.date | None] = mapped_column(Date)
    resolved_date: Mapped[dt.date | None] = mapped_column(Date)
    comment: Mapped[str | None] = mapped_column(Text)


class Survey(Versioned, Base):
    __tablename__ = "surveys"
    response_id: Mapped[str | None] = mapped_column(String(100))
    customer_id: Mapped[str | None] = mapped_column(String(100), index=True)  # None: anonymous
    response_date: Mapped[dt.date] = mapped_column(Date, index=True)
    survey_type: Mapped[str] = mapped_column(String(10))
    score: Mapped[int] = mapped_column(Integer)
    touchpoint: Mapped[str | None] = mapped_column(String(100))
    comment: Mapped[str | None] = mapped_column(Text)


class Plan(Versioned, Base):
    """One instalment of a payment plan agreed with a customer."""

    __tablename__ = "plans"
    plan_id: Mapped[str] = mapped_column(String(100), index=True)
    customer_id: Mapped[str] = mapped_column(String(100), index=True)
    invoice_id: Mapped[str | None] = mapped_column(String(100), index=True)
    instalment: Mapped[int] = mapped_column(Integer)
    due_date: Mapped[dt.date] = mapped_column(Date, index=True)
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    agreed_date: Mapped[dt.date | None] = mapped_column(Date)


class Rate(Versioned, Base):
    """An exchange rate: units of the reporting currency for one unit of ``currency``, from
    ``date`` on (until a later rate)."""

    __tablename__ = "rates"
    date: Mapped[dt.date] = mapped_column(Date, index=True)
    currency: Mapped[str] = mapped_column(String(3), index=True)
    rate: Mapped[float] = mapped_column(Float)


class Cost(Versioned, Base):
    __tablename__ = "costs"
    month: Mapped[str] = mapped_column(String(7), index=True)
    category: Mapped[str] = mapped_column(String(50))
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    channel: Mapped[str | None] = mapped_column(String(50))
    segment: Mapped[str | None] = mapped_column(String(100))


class ReasonCode(Base):
    """The late-payment taxonomy: code, English and French labels, default process owner."""

    __tablename__ = "reason_codes"
    code: Mapped[str] = mapped_column(String(50), primary_key=True)
    label_en: Mapped[str] = mapped_column(String(200))
    label_fr: Mapped[str] = mapped_column(String(200))
    owner: Mapped[str] = mapped_column(String(100))
    position: Mapped[int] = mapped_column(Integer, default=0)


class Setting(Base):
    """Key/value settings (reporting currency, targets), with who changed them last."""

    __tablename__ = "settings"
    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_by: Mapped[str | None] = mapped_column(String(200))
    updated_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class User(Base):
    """A person who may sign in: a unique name, an Argon2 password hash and one role."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    password_hash: Mapped[str] = mapped_column(String(300))
    role: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str | None] = mapped_column(String(200))


class LoginThrottle(Base):
    """Consecutive failed sign-ins per name (known or not), to slow down password guessing."""

    __tablename__ = "login_throttle"
    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class AuditEvent(Base):
    """Who did what and when: imports, undos, settings, taxonomy, users and sign-ins."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(40))
    detail: Mapped[str] = mapped_column(Text, default="")


# Imported tables by file kind's target, in dependency order.
FACT_TABLES = {
    "customers": Customer,
    "invoices": Invoice,
    "payments": Payment,
    "actions": Action,
    "reasons": Reason,
    "surveys": Survey,
    "costs": Cost,
    "plans": Plan,
    "rates": Rate,
}
