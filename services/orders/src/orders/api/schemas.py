"""Request and response bodies of the orders API (its public shape, apart from the tables)."""

from datetime import datetime

from chassis import Text
from pydantic import BaseModel, ConfigDict, Field

from orders.domain import Order, OrderStatus


class LineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sku: Text = Field(min_length=1, max_length=64, examples=["sku-lamp"])
    quantity: int = Field(gt=0, le=10_000, examples=[1])


class OrderCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    customer_id: Text = Field(min_length=1, max_length=100, examples=["c-1"])
    lines: list[LineIn] = Field(min_length=1, max_length=50)
    payment_token: Text = Field(min_length=1, max_length=100, examples=["tok_ok"])


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
