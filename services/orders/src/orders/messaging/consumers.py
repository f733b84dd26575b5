"""What orders consumes: the replies of inventory and payments, which drive the checkout saga.

Each reply is correlated by its correlation id (the order id = the saga id) and applied in the
same transaction as the consumer's inbox record, so a redelivered reply is never applied twice;
the saga itself ignores replies that do not fit its current state (duplicates, late ones).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from chassis import Contract, Envelope, Route, Subscription
from sqlalchemy.ext.asyncio import AsyncSession

from orders.domain import saga as s
from orders.messaging import contracts as c
from orders.service_layer.saga_runner import apply_event

if TYPE_CHECKING:
    from orders.bootstrap import OrdersService

# Each reply contract, and how its payload becomes an event the saga understands.
_REPLIES: dict[Contract[Any], Callable[[Any], s.SagaEvent]] = {
    c.STOCK_RESERVED: lambda p: s.StockReserved(total_cents=p.total_cents),
    c.STOCK_REJECTED: lambda p: s.StockRejected(reason=p.reason),
    c.STOCK_RELEASED: lambda p: s.StockReleased(),
    c.STOCK_COMMITTED: lambda p: s.StockCommitted(),
    c.CHARGED: lambda p: s.PaymentCharged(amount_cents=p.amount_cents),
    c.DECLINED: lambda p: s.PaymentDeclined(reason=p.reason),
    c.REFUNDED: lambda p: s.PaymentRefunded(amount_cents=p.amount_cents),
}


def subscriptions(service: OrdersService) -> list[Subscription]:
    def route(contract: Contract[Any]) -> Route:
        to_event = _REPLIES[contract]

        async def on_reply(envelope: Envelope, session: AsyncSession) -> None:
            payload = contract.parse(envelope)
            await apply_event(
                payload.order_id,
                to_event(payload),
                service.unit_of_work_in(session),
                now=datetime.now(UTC),
                causation_id=envelope.id,
            )

        return Route(contract.type, on_reply, frozenset({contract.version}))

    inventory = [c.STOCK_RESERVED, c.STOCK_REJECTED, c.STOCK_RELEASED, c.STOCK_COMMITTED]
    payments = [c.CHARGED, c.DECLINED, c.REFUNDED]
    return [
        Subscription.of(
            "inventory-replies", "INVENTORY", [r.subject for r in inventory], map(route, inventory)
        ),
        Subscription.of(
            "payments-replies", "PAYMENTS", [r.subject for r in payments], map(route, payments)
        ),
    ]
