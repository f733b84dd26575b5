"""What inventory consumes: the stock commands of the checkout saga, from its OWN stream.

One durable consumer (``inventory-commands``) reads ``inventory.cmd.>`` from INVENTORY. The
chassis records each message in the inbox and runs its handler in that same transaction; the
handler opens the unit of work for the message, so the stock moves, the inbox row and the answer
it emits commit together, and the answer carries the command's ``correlation_id`` (the order id)
and, as ``causation_id``, the command's id.
"""

from __future__ import annotations

from collections.abc import Callable

from chassis import Clock, Incoming, Subscription, on

from inventory.domain import CommitStock, ReleaseStock, ReserveStock, StockLine
from inventory.messaging import contracts as c
from inventory.service_layer import handlers
from inventory.service_layer.unit_of_work import InventoryUnitOfWork

CONSUMER_NAME = "commands"

UnitOfWorkFor = Callable[[Incoming], InventoryUnitOfWork]
"""The unit of work that applies one incoming message (in its transaction, answering it)."""


def subscriptions(unit_of_work_for: UnitOfWorkFor, clock: Clock) -> list[Subscription]:
    """The durable consumers of inventory (started with the service's runtime)."""

    async def reserve(payload: c.ReserveStockV1, incoming: Incoming) -> None:
        lines = tuple(StockLine(line.sku, line.quantity) for line in payload.lines)
        command = ReserveStock(payload.order_id, lines)
        await handlers.reserve_stock(command, unit_of_work_for(incoming), now=clock())

    async def release(payload: c.ReleaseStockV1, incoming: Incoming) -> None:
        command = ReleaseStock(payload.order_id, payload.reason)
        await handlers.release_stock(command, unit_of_work_for(incoming), now=clock())

    async def commit(payload: c.CommitStockV1, incoming: Incoming) -> None:
        command = CommitStock(payload.order_id)
        await handlers.commit_stock(command, unit_of_work_for(incoming), now=clock())

    return [
        Subscription.of(
            CONSUMER_NAME,
            [
                on(c.RESERVE_STOCK, reserve),
                on(c.RELEASE_STOCK, release),
                on(c.COMMIT_STOCK, commit),
            ],
            # Every command addressed to inventory, not only the three it knows: an unknown one
            # is then parked on inventory.dlq.commands instead of lying in the stream unread.
            subjects=c.COMMAND_SUBJECTS,
        )
    ]
