"""Request and response bodies of the orders API (its public shape, apart from the tables)."""

from datetime import datetime

from chassis import Integer, NonBlankText
from pydantic import BaseModel, ConfigDict, Field

from orders.domain import Order, OrderStatus
from orders.domain.model import MAX_LINES, MAX_QUANTITY


class LineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sku: NonBlankText = Field(min_length=1, max_length=64, examples=["sku-lamp"])
    quantity: Integer = Field(gt=0, le=MAX_QUANTITY, examples=[1])


class OrderCreate(BaseModel):
    """What a customer asks for. Who asks is the bearer token's subject, never the body: a body
    naming a ``customer_id`` is refused (extra fields are), so no one orders for someone else."""

    model_config = ConfigDict(extra="forbid")

    lines: list[LineIn] = Field(
        min_length=1,
        max_length=MAX_LINES,
        description="lines of the same sku are merged into one, their quantities added up",
    )
    payment_token: NonBlankText = Field(min_length=1, max_length=100, examples=["tok_ok"])


class LineOut(BaseModel):
    sku: str
    quantity: int


class TimelineEntryOut(BaseModel):
    step: str
    outcome: str
    detail: str | None
    at: datetime


class OrderOut(BaseModel):
    id: str
    customer_id: str
    status: OrderStatus
    reason: str | None
    total_cents: int | None
    lines: list[LineOut]
    created_at: datetime
    timeline: list[TimelineEntryOut]

    @classmethod
    def of(cls, order: Order) -> "OrderOut":
        return cls(
            id=order.id,
            customer_id=order.customer_id,
            status=order.status,
            reason=order.reason,
            total_cents=order.total_cents,
            lines=[LineOut(sku=line.sku, quantity=line.quantity) for line in order.lines],
            created_at=order.created_at,
            timeline=[
                TimelineEntryOut(step=t.step, outcome=t.outcome, detail=t.detail, at=t.at)
                for t in order.timeline
            ],
        )
