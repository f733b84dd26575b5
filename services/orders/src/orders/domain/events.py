"""What happened: the participants' replies and the passing of a deadline, which drive the
checkout saga, and the outcome of a checkout, which orders announces.

Replies carry only what the saga reads of them; which saga they belong to (the order id) comes
with the message they arrived in.
"""

from __future__ import annotations

from dataclasses import dataclass


# --- replies of inventory ----------------------------------------------------------------------
@dataclass(frozen=True)
class StockReserved:
    total_cents: int


@dataclass(frozen=True)
class StockRejected:
    reason: str


@dataclass(frozen=True)
class StockReleased:
    pass


@dataclass(frozen=True)
class StockCommitted:
    pass


# --- replies of payments -----------------------------------------------------------------------
@dataclass(frozen=True)
class PaymentCharged:
    amount_cents: int


@dataclass(frozen=True)
class PaymentDeclined:
    reason: str


@dataclass(frozen=True)
class PaymentRefunded:
    amount_cents: int


# --- the clock ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class DeadlinePassed:
    """The sweeper found the saga's current step past its deadline."""


SagaEvent = (
    StockReserved
    | StockRejected
    | StockReleased
    | StockCommitted
    | PaymentCharged
    | PaymentDeclined
    | PaymentRefunded
    | DeadlinePassed
)


# --- how a checkout ended: the saga's outcome, announced to whoever follows orders -------------
@dataclass(frozen=True)
class OrderConfirmed:
    order_id: str
    total_cents: int


@dataclass(frozen=True)
class OrderRejected:
    order_id: str
    reason: str


Outcome = OrderConfirmed | OrderRejected
