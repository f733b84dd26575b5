"""The tables of orders, in its OWN registry and metadata.

SQLModel's global ``SQLModel.metadata`` is shared by everything imported in a process; a
registry of our own keeps this service's metadata (and so its migrations) to its own tables.
"""

from datetime import datetime

from chassis import UTCDateTime, add_messaging_tables
from sqlalchemy import ForeignKey, Index
from sqlalchemy.orm import registry
from sqlmodel import Column, Field, SQLModel


class OrdersBase(SQLModel, registry=registry()):
    """Base class of every table of this service."""


# outbox_message and processed_message, created by this service's own first migration.
messaging_tables = add_messaging_tables(OrdersBase.metadata)


def _timestamp(nullable: bool = False) -> Column:  # type: ignore[type-arg]
    return Column(UTCDateTime(), nullable=nullable)


class OrderRow(OrdersBase, table=True):
    # "order" is an SQL keyword; the table says whose order it is.
    __tablename__ = "customer_order"
    # The operations API pages sagas newest first and finds them by customer.
    __table_args__ = (
        Index("ix_customer_order_placed", "created_at", "id"),
        Index("ix_customer_order_customer_id", "customer_id"),
    )

    id: str = Field(primary_key=True, max_length=36)
    customer_id: str = Field(max_length=100)
    status: str = Field(max_length=20, index=True)
    reason: str | None = Field(default=None, max_length=500)
    total_cents: int | None = None
    payment_token: str = Field(max_length=100)
    # The same Idempotency-Key always names the same order (unique: a race cannot make two).
    idempotency_key: str | None = Field(default=None, max_length=200, unique=True)
    request_fingerprint: str | None = Field(default=None, max_length=64)
    created_at: datetime = Field(sa_column=_timestamp())
    updated_at: datetime = Field(sa_column=_timestamp())
    # The W3C trace id of the request that placed the order, when tracing was on.
    trace_id: str | None = Field(default=None, max_length=32)


class OrderLineRow(OrdersBase, table=True):
    __tablename__ = "order_line"

    order_id: str = Field(
        sa_column=Column(ForeignKey("customer_order.id"), primary_key=True, nullable=False)
    )
    sku: str = Field(primary_key=True, max_length=100)
    quantity: int


class SagaRow(OrdersBase, table=True):
    """Where the checkout of one order stands; changed with the commands it sends."""

    __tablename__ = "checkout_saga"
    __table_args__ = (Index("ix_checkout_saga_deadline", "deadline_at"),)

    order_id: str = Field(
        sa_column=Column(ForeignKey("customer_order.id"), primary_key=True, nullable=False)
    )
    state: str = Field(max_length=30)
    deadline_at: datetime | None = Field(default=None, sa_column=_timestamp(nullable=True))
    attempts: int = 1
    total_cents: int | None = None
    reason: str | None = Field(default=None, max_length=500)


class SagaStepRow(OrdersBase, table=True):
    """The saga's step log: the order's timeline."""

    __tablename__ = "saga_step"

    id: int | None = Field(default=None, primary_key=True)
    order_id: str = Field(
        sa_column=Column(ForeignKey("customer_order.id"), index=True, nullable=False)
    )
    step: str = Field(max_length=50)
    outcome: str = Field(max_length=50)
    detail: str | None = Field(default=None, max_length=500)
    at: datetime = Field(sa_column=_timestamp())
    # The message the entry stands for: the command or outcome it sent, or the reply it records.
    message_id: str | None = Field(default=None, max_length=64)
    message_type: str | None = Field(default=None, max_length=255)
    direction: str | None = Field(default=None, max_length=10)  # "sent" or "received"
