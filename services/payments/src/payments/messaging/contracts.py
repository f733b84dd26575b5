"""Message contracts of payments (docs/checkout-contracts.md, v1).

Payments owns all five: the commands it handles (published by the caller on
``payments.cmd.*``, so they land in this service's stream PAYMENTS) and the replies it publishes
on ``payments.evt.*``. A caller keeps its own copy; it never imports this module.
"""

from __future__ import annotations

from chassis import Contract, naming
from pydantic import BaseModel, Field


class ChargeV1(BaseModel):
    order_id: str = Field(min_length=1)
    # Integer cents; a negative amount breaks the contract: the command is parked, unanswered.
    amount_cents: int = Field(ge=0)
    payment_token: str


class RefundV1(BaseModel):
    order_id: str = Field(min_length=1)
    reason: str


class ChargedV1(BaseModel):
    order_id: str
    payment_id: str
    amount_cents: int


class DeclinedV1(BaseModel):
    order_id: str
    reason: str


class RefundedV1(BaseModel):
    """``amount_cents`` is what was actually given back: 0 if nothing had been charged."""

    order_id: str
    payment_id: str
    amount_cents: int


CHARGE = Contract(subject="payments.cmd.charge", type="payments.charge", model=ChargeV1)
REFUND = Contract(subject="payments.cmd.refund", type="payments.refund", model=RefundV1)
CHARGED = Contract(subject="payments.evt.charged", type="payments.charged", model=ChargedV1)
DECLINED = Contract(subject="payments.evt.declined", type="payments.declined", model=DeclinedV1)
REFUNDED = Contract(subject="payments.evt.refunded", type="payments.refunded", model=RefundedV1)

# Every command addressed to payments (``payments.cmd.>``), the two above and any other.
COMMANDS = naming.all_of_kind(CHARGE.owner, naming.COMMAND)
