"""What happened to a payment (past tense). Each one is the answer to a command."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Charged:
    """The order's amount was taken."""

    order_id: str
    payment_id: str
    amount_cents: int


@dataclass(frozen=True)
class Declined:
    """The order's charge was refused; nothing was taken."""

    order_id: str
    reason: str


@dataclass(frozen=True)
class Refunded:
    """A refund was handled; ``amount_cents`` is what was actually given back (0 if nothing had
    been charged)."""

    order_id: str
    payment_id: str
    amount_cents: int


Event = Charged | Declined | Refunded
