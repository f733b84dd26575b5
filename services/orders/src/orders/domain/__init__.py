"""The orders domain: orders and the checkout saga. Plain Python, no web framework, no SQL."""

from orders.domain.commands import (
    ChargePayment,
    CommitStock,
    PlaceOrder,
    RefundPayment,
    ReleaseStock,
    ReserveStock,
    SagaCommand,
)
from orders.domain.events import (
    DeadlinePassed,
    OrderConfirmed,
    OrderRejected,
    Outcome,
    PaymentCharged,
    PaymentDeclined,
    PaymentRefunded,
    SagaEvent,
    StockCommitted,
    StockRejected,
    StockReleased,
    StockReserved,
)
from orders.domain.model import InvalidOrder, Order, OrderLine, OrderStatus, TimelineEntry
from orders.domain.saga import CHECKOUT, CheckoutData, CheckoutSaga, Decision, SagaState

__all__ = [
    "CHECKOUT",
    "ChargePayment",
    "CheckoutData",
    "CheckoutSaga",
    "CommitStock",
    "DeadlinePassed",
    "Decision",
    "InvalidOrder",
    "Order",
    "OrderConfirmed",
    "OrderLine",
    "OrderRejected",
    "OrderStatus",
    "Outcome",
    "PaymentCharged",
    "PaymentDeclined",
    "PaymentRefunded",
    "PlaceOrder",
    "RefundPayment",
    "ReleaseStock",
    "ReserveStock",
    "SagaCommand",
    "SagaEvent",
    "SagaState",
    "StockCommitted",
    "StockRejected",
    "StockReleased",
    "StockReserved",
    "TimelineEntry",
]
