"""The checkout saga, declared: reserve stock, charge the payment, commit the stock.

Read ``CHECKOUT`` top to bottom as the flow (the way Eventuate's ``CreateOrderSaga`` reads):
each step names its participant, the command it sends (made from :class:`CheckoutData`), the
replies that complete or fail it, what happens when its deadline passes, and the compensation
that undoes it. :class:`orders.domain.saga.machine.CheckoutSaga` runs it.

The charge is the pivot: once it succeeded the order is CONFIRMED at once, in the transaction
that sends the commit, because nothing after it can fail the order (the commit moves reserved
units to sold and is retried until it succeeds; the saga finishes only then). Before the pivot
a failed step is undone in reverse: every step done (and one that timed out, since it may still
happen) is compensated, then the order is REJECTED with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from orders.domain.commands import (
    ChargePayment,
    CommitStock,
    RefundPayment,
    ReleaseStock,
    ReserveStock,
)
from orders.domain.events import (
    PaymentCharged,
    PaymentDeclined,
    PaymentRefunded,
    StockCommitted,
    StockRejected,
    StockReleased,
    StockReserved,
)
from orders.domain.model import Order, OrderLine
from orders.domain.saga.steps import (
    Compensate,
    Compensation,
    Failure,
    Late,
    Reply,
    Retry,
    SagaDefinition,
    Step,
)

# The steps' names, as the order's timeline shows them; ORDER marks the outcome's entry.
RESERVE, CHARGE, COMMIT = "reserve stock", "charge payment", "commit stock"
REFUND, RELEASE = "refund payment", "release stock"
ORDER = "order"


class SagaState(StrEnum):
    """Where a checkout stands (stored as is): the step it waits on, or how it finished."""

    RESERVING_STOCK = "RESERVING_STOCK"
    CHARGING_PAYMENT = "CHARGING_PAYMENT"
    COMMITTING_STOCK = "COMMITTING_STOCK"
    REFUNDING_PAYMENT = "REFUNDING_PAYMENT"
    RELEASING_STOCK = "RELEASING_STOCK"
    CONFIRMED = "CONFIRMED"
    REJECTED = "REJECTED"

    @property
    def finished(self) -> bool:
        return self in {SagaState.CONFIRMED, SagaState.REJECTED}


@dataclass
class CheckoutData:
    """What the steps need of the order, and make their commands of (the saga's data)."""

    order_id: str
    payment_token: str
    # Only the first step sends the lines, when the saga starts with its order at hand (a
    # reserve that times out is released, never sent again): a saga loaded to go on has none.
    lines: tuple[OrderLine, ...] = ()
    # inventory sets the price: the charge is for the total it reserved.
    total_cents: int | None = None

    @classmethod
    def of(cls, order: Order) -> CheckoutData:
        return cls(order.id, order.payment_token, tuple(order.lines))

    def reserve_stock(self) -> ReserveStock:
        return ReserveStock(self.order_id, self.lines)

    def release_stock(self, reason: str) -> ReleaseStock:
        return ReleaseStock(self.order_id, reason)

    def charge_payment(self) -> ChargePayment:
        return ChargePayment(self.order_id, self.total_cents or 0, self.payment_token)

    def refund_payment(self, reason: str) -> RefundPayment:
        return RefundPayment(self.order_id, reason)

    def commit_stock(self) -> CommitStock:
        return CommitStock(self.order_id)

    def keep_total(self, reserved: StockReserved) -> None:
        self.total_cents = reserved.total_cents


def refunded_after_rejection(refunded: PaymentRefunded) -> str | None:
    """Only a refund that returned money says something new once the order is rejected."""
    if refunded.amount_cents <= 0:
        return None
    return f"refunded {refunded.amount_cents} cents after rejection"


# --- the saga ----------------------------------------------------------------------------------
CHECKOUT: Final = SagaDefinition(
    "checkout",
    Step(
        RESERVE,
        participant="inventory",
        state=SagaState.RESERVING_STOCK,
        command=CheckoutData.reserve_stock,
        succeeded=Reply(
            StockReserved, lambda r: f"total {r.total_cents} cents", keep=CheckoutData.keep_total
        ),
        failed=Failure(StockRejected),
        deadline=Compensate("timed out reserving stock"),
        compensation=Compensation(
            RELEASE,
            state=SagaState.RELEASING_STOCK,
            command=CheckoutData.release_stock,
            succeeded=Reply(StockReleased),
        ),
        late=Late("reservation arrived after the order was rejected", lambda r: "releasing it"),
    ),
    Step(
        CHARGE,
        participant="payments",
        state=SagaState.CHARGING_PAYMENT,
        command=CheckoutData.charge_payment,
        succeeded=Reply(PaymentCharged, lambda r: f"charged {r.amount_cents} cents"),
        failed=Failure(PaymentDeclined, lambda r: f"payment declined: {r.reason}"),
        deadline=Compensate("timed out waiting for payment"),
        compensation=Compensation(
            REFUND,
            state=SagaState.REFUNDING_PAYMENT,
            command=CheckoutData.refund_payment,
            succeeded=Reply(
                PaymentRefunded,
                lambda r: f"refunded {r.amount_cents} cents",
                after_rejection=refunded_after_rejection,
            ),
        ),
        late=Late(
            "payment arrived after the order was rejected",
            lambda r: f"refunding {r.amount_cents} cents",
        ),
        pivot=True,  # paid: nothing after this can fail the order, it is CONFIRMED here
    ),
    Step(
        COMMIT,
        participant="inventory",
        state=SagaState.COMMITTING_STOCK,
        command=CheckoutData.commit_stock,
        succeeded=Reply(StockCommitted),
        deadline=Retry(),  # past the pivot: sent again until inventory has committed
    ),
    confirmed=SagaState.CONFIRMED,
    rejected=SagaState.REJECTED,
)
