"""The orders domain: orders and the checkout saga. Plain Python, no web framework, no SQL."""

from orders.domain.model import InvalidOrder, Order, OrderLine, OrderStatus, TimelineEntry
from orders.domain.saga import CheckoutSaga, Decision, SagaState, Step

__all__ = [
    "CheckoutSaga",
    "Decision",
    "InvalidOrder",
    "Order",
    "OrderLine",
    "OrderStatus",
    "SagaState",
    "Step",
    "TimelineEntry",
]
