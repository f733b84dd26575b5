"""An order: what a customer asked for, and where it stands. Plain Python, no I/O."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

MAX_LINES = 50
MAX_QUANTITY = 10_000


class InvalidOrder(ValueError):
    """The order breaks a rule of the domain."""


class OrderStatus(StrEnum):
    PENDING = "PENDING"
    CONFIRMED = "CONFIRMED"
    REJECTED = "REJECTED"


@dataclass(frozen=True)
class OrderLine:
    sku: str
    quantity: int


@dataclass(frozen=True)
class TimelineEntry:
    """One step of the checkout as the customer can see it."""

    step: str
    outcome: str
    detail: str | None
    at: datetime


@dataclass
class Order:
    id: str
    customer_id: str
    lines: list[OrderLine]
    payment_token: str
    created_at: datetime
    status: OrderStatus = OrderStatus.PENDING
    reason: str | None = None
    total_cents: int | None = None
    timeline: list[TimelineEntry] = field(default_factory=list)

    @classmethod
    def place(
        cls, customer_id: str, lines: list[OrderLine], payment_token: str, *, now: datetime
    ) -> Order:
        """A new PENDING order; refuses empty orders, bad quantities and repeated skus."""
        if not customer_id.strip():
            raise InvalidOrder("an order needs a customer_id")
        if not lines:
            raise InvalidOrder("an order needs at least one line")
        if len(lines) > MAX_LINES:
            raise InvalidOrder(f"an order has at most {MAX_LINES} lines")
        skus = [line.sku for line in lines]
        if len(set(skus)) != len(skus):
            raise InvalidOrder("each sku may appear on one line only")
        for line in lines:
            if not line.sku.strip():
                raise InvalidOrder("every line needs a sku")
            if not 0 < line.quantity <= MAX_QUANTITY:
                raise InvalidOrder(f"quantity of {line.sku} must be between 1 and {MAX_QUANTITY}")
        if not payment_token.strip():
            raise InvalidOrder("an order needs a payment_token")
        return cls(str(uuid.uuid4()), customer_id, lines, payment_token, now)
