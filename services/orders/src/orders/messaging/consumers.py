"""What orders consumes: the replies of inventory and payments, which drive the checkout saga.

Two durable consumers, one per participant's stream, each filtered to the exact reply subjects
it understands (the contracts give the stream and the subjects). Each reply is applied to the
saga of its order id (the saga id, also the correlation id) in the consumer's transaction, the
one that records it in the inbox, so a redelivered reply is never applied twice; the saga
itself ignores replies that do not fit its current state (duplicates, late ones).
"""

from __future__ import annotations

from collections.abc import Callable

from chassis import Clock, Incoming, Subscription, on

from orders.domain import (
    PaymentCharged,
    PaymentDeclined,
    PaymentRefunded,
    SagaEvent,
    StockCommitted,
    StockRejected,
    StockReleased,
    StockReserved,
)
from orders.messaging import contracts as c
from orders.service_layer.saga_runner import apply_event
from orders.service_layer.unit_of_work import OrdersUnitOfWork

UnitOfWorkFor = Callable[[Incoming], OrdersUnitOfWork]
"""The unit of work that applies one incoming message (in its transaction, answering it)."""

Reply = (
    c.StockReservedV1
    | c.StockRejectedV1
    | c.StockReleasedV1
    | c.StockCommittedV1
    | c.ChargedV1
    | c.DeclinedV1
    | c.RefundedV1
)


def saga_event(reply: Reply) -> SagaEvent:
    """What a participant's reply tells the saga."""
    match reply:
        case c.StockReservedV1():
            return StockReserved(total_cents=reply.total_cents)
        case c.StockRejectedV1():
            return StockRejected(reason=reply.reason)
        case c.StockReleasedV1():
            return StockReleased()
        case c.StockCommittedV1():
            return StockCommitted()
        case c.ChargedV1():
            return PaymentCharged(amount_cents=reply.amount_cents)
        case c.DeclinedV1():
            return PaymentDeclined(reason=reply.reason)
        case c.RefundedV1():
            return PaymentRefunded(amount_cents=reply.amount_cents)


def subscriptions(unit_of_work_for: UnitOfWorkFor, clock: Clock) -> list[Subscription]:
    """The durable consumers of orders (started with the service's runtime)."""

    async def apply_reply(reply: Reply, incoming: Incoming) -> None:
        uow = unit_of_work_for(incoming)
        await apply_event(reply.order_id, saga_event(reply), uow, now=clock())

    return [
        Subscription.of(
            "inventory-replies",
            [
                on(c.STOCK_RESERVED, apply_reply),
                on(c.STOCK_REJECTED, apply_reply),
                on(c.STOCK_RELEASED, apply_reply),
                on(c.STOCK_COMMITTED, apply_reply),
            ],
        ),
        Subscription.of(
            "payments-replies",
            [on(c.CHARGED, apply_reply), on(c.DECLINED, apply_reply), on(c.REFUNDED, apply_reply)],
        ),
    ]
