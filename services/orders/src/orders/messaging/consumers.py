"""What orders consumes: the replies of inventory and payments, which drive the checkout saga.

Two durable consumers, one per participant's stream, each filtered to the exact reply subjects
it understands (the contracts give the stream and the subjects). Each reply is applied to the
saga of its order id (the saga id, also the correlation id) in the consumer's transaction, the
one that records it in the inbox, so a redelivered reply is never applied twice; the saga
itself ignores replies that do not fit its current state (duplicates, late ones).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields
from typing import Any, Final

from chassis import Clock, Contract, Incoming, Route, Subscription, on

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


# Each reply orders reads and the saga event it becomes (the event's fields are the payload's of
# the same names): one table says what is subscribed to and what it tells the saga.
REPLY_EVENTS: Final[dict[Contract[Any], type[SagaEvent]]] = {
    c.STOCK_RESERVED: StockReserved,
    c.STOCK_REJECTED: StockRejected,
    c.STOCK_RELEASED: StockReleased,
    c.STOCK_COMMITTED: StockCommitted,
    c.CHARGED: PaymentCharged,
    c.DECLINED: PaymentDeclined,
    c.REFUNDED: PaymentRefunded,
}
_EVENT_OF = {contract.model: event for contract, event in REPLY_EVENTS.items()}


def saga_event(reply: Reply) -> SagaEvent:
    """What a participant's reply tells the saga."""
    event = _EVENT_OF[type(reply)]
    return event(**{field.name: getattr(reply, field.name) for field in fields(event)})


def subscriptions(unit_of_work_for: UnitOfWorkFor, clock: Clock) -> list[Subscription]:
    """The durable consumers of orders (started with the service's runtime)."""

    async def apply_reply(reply: Reply, incoming: Incoming) -> None:
        uow = unit_of_work_for(incoming)
        await apply_event(reply.order_id, saga_event(reply), uow, now=clock())

    def replies_of(participant: str) -> list[Route]:
        return [on(r, apply_reply) for r in REPLY_EVENTS if r.owner == participant]

    return [
        Subscription.of("inventory-replies", replies_of("inventory")),
        Subscription.of("payments-replies", replies_of("payments")),
    ]
