"""What callers ask of payments (imperative names). Both are idempotent by order id."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Charge:
    """Charge ``amount_cents`` for an order with a payment token."""

    order_id: str
    amount_cents: int
    payment_token: str


@dataclass(frozen=True)
class Refund:
    """Give back whatever was charged for an order (or make sure it never will be)."""

    order_id: str
    reason: str
