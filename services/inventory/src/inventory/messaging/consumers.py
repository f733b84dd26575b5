"""What inventory consumes: the stock commands of the checkout saga, from its OWN stream.

One durable consumer (``inventory-commands``) reads ``inventory.cmd.>`` from INVENTORY. The
chassis records each message in the inbox and runs the route in that same transaction; the
route runs the handler and queues its answer in the outbox with the session it was given, so
the state change, the inbox row and the answer commit together. An answer carries the
command's ``correlation_id`` (the order id) and, as ``causation_id``, the command's id.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from chassis import Contract, Envelope, Route, Subscription
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from inventory.domain import (
    CommitStock,
    Event,
    ReleaseStock,
    ReserveStock,
    StockCommitted,
    StockLine,
    StockRejected,
    StockReleased,
    StockReserved,
)
from inventory.messaging import contracts as c
from inventory.service_layer import handlers
from inventory.service_layer.unit_of_work import InventoryUnitOfWork

if TYPE_CHECKING:
    from inventory.bootstrap import InventoryService

CONSUMER_NAME = "commands"

# A payload's model in, the event to answer with (None: answer nothing) out.
Apply = Callable[[Any, InventoryUnitOfWork], Awaitable[Event | None]]


async def _reserve(payload: c.ReserveStockV1, uow: InventoryUnitOfWork) -> Event | None:
    lines = tuple(StockLine(line.sku, line.quantity) for line in payload.lines)
    return await handlers.reserve_stock(ReserveStock(payload.order_id, lines), uow)


async def _release(payload: c.ReleaseStockV1, uow: InventoryUnitOfWork) -> Event | None:
    return await handlers.release_stock(ReleaseStock(payload.order_id, payload.reason), uow)


async def _commit(payload: c.CommitStockV1, uow: InventoryUnitOfWork) -> Event | None:
    return await handlers.commit_stock(CommitStock(payload.order_id), uow)


def answer(event: Event) -> tuple[Contract[Any], BaseModel]:
    """The contract and payload that announce ``event``."""
    match event:
        case StockReserved():
            lines = [
                c.ReservedLineV1(
                    sku=x.sku, quantity=x.quantity, unit_price_cents=x.unit_price_cents
                )
                for x in event.lines
            ]
            payload = c.StockReservedV1(
                order_id=event.order_id, lines=lines, total_cents=event.total_cents
            )
            return c.STOCK_RESERVED, payload
        case StockRejected():
            unavailable = [
                c.UnavailableLineV1(sku=x.sku, requested=x.requested, available=x.available)
                for x in event.unavailable
            ]
            rejected = c.StockRejectedV1(
                order_id=event.order_id, reason=event.reason, unavailable=unavailable
            )
            return c.STOCK_REJECTED, rejected
        case StockReleased():
            return c.STOCK_RELEASED, c.StockReleasedV1(order_id=event.order_id)
        case StockCommitted():
            return c.STOCK_COMMITTED, c.StockCommittedV1(order_id=event.order_id)
    raise TypeError(f"no contract announces {event!r}")


def subscriptions(service: InventoryService) -> list[Subscription]:
    """The durable consumers of inventory (started with the service's runtime)."""

    def route(contract: Contract[Any], apply: Apply) -> Route:
        async def handle(envelope: Envelope, session: AsyncSession) -> None:
            uow = service.unit_of_work_in(session)
            event = await apply(contract.parse(envelope), uow)
            if event is None:
                return
            reply, payload = answer(event)
            await uow.send(
                reply, payload, correlation_id=envelope.correlation_id, causation_id=envelope.id
            )

        return Route(contract.type, handle, frozenset({contract.version}))

    return [
        Subscription.of(
            CONSUMER_NAME,
            stream=service.settings.stream_name,
            # Every command addressed to inventory, not only the three it knows: an unknown one
            # is then parked on inventory.dlq.commands instead of lying in the stream unread.
            subjects=[c.COMMAND_SUBJECTS],
            routes=[
                route(c.RESERVE_STOCK, _reserve),
                route(c.RELEASE_STOCK, _release),
                route(c.COMMIT_STOCK, _commit),
            ],
        )
    ]
