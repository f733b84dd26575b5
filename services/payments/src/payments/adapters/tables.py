"""The tables of payments, in its OWN registry and metadata.

SQLModel's global ``SQLModel.metadata`` is shared by everything imported in a process; a
registry of our own keeps this service's metadata (and so its migrations) to its own tables.
"""

from datetime import datetime

from chassis import UTCDateTime, add_messaging_tables
from sqlalchemy import BigInteger, CheckConstraint, Index, UniqueConstraint
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from payments.domain import PaymentStatus


class PaymentsBase(SQLModel, registry=registry()):
    """Base class of every table of this service."""


# outbox_message and processed_message, created by this service's own first migration.
messaging_tables = add_messaging_tables(PaymentsBase.metadata)

STATUSES = ", ".join(f"'{status.value}'" for status in PaymentStatus)


class PaymentRow(PaymentsBase, table=True):
    """One order's payment. The order id is the key: at most one payment per order, by
    construction, so two charges of one order can never both insert."""

    __tablename__ = "payment"
    __table_args__ = (
        CheckConstraint(f"status IN ({STATUSES})", name="ck_payment_status"),
        CheckConstraint("amount_cents >= 0", name="ck_payment_amount_not_negative"),
        CheckConstraint(
            "refunded_cents >= 0 AND refunded_cents <= amount_cents",
            name="ck_payment_refund_within_amount",
        ),
        UniqueConstraint("payment_id", name="uq_payment_payment_id"),
        # The settler's query: PENDING payments by settle_after.
        Index("ix_payment_status_settle_after", "status", "settle_after"),
    )

    order_id: str = Field(primary_key=True, max_length=100)
    payment_id: str = Field(max_length=36)
    status: str = Field(max_length=16)
    amount_cents: int = Field(sa_type=BigInteger)
    refunded_cents: int = Field(default=0, sa_type=BigInteger)
    reason: str | None = Field(default=None, max_length=500)
    settle_after: datetime | None = Field(default=None, sa_type=UTCDateTime())
    # Whom a deferred (slow) charge answers when it settles.
    reply_correlation_id: str | None = Field(default=None, max_length=100)
    reply_causation_id: str | None = Field(default=None, max_length=64)
    created_at: datetime = Field(sa_type=UTCDateTime())
    updated_at: datetime = Field(sa_type=UTCDateTime())
