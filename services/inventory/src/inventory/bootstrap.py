"""The composition root of inventory: settings (and a clock) in, a wired service out.

The only module that knows every piece: it builds the runtime, hands the consumers only the
units of work and the clock they need, and gives every unit of work ``message_for``. Nothing
imports it back but ``main`` and ``__main__``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from chassis import Clock, Incoming, ServiceRuntime, utcnow

from inventory.adapters.tables import messaging_tables
from inventory.config import InventorySettings
from inventory.messaging import consumers
from inventory.messaging.outgoing import message_for
from inventory.service_layer.unit_of_work import InventoryUnitOfWork

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"


@dataclass
class InventoryService:
    """The running service: its settings, its infrastructure, and units of work over it."""

    settings: InventorySettings
    runtime: ServiceRuntime

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[InventoryUnitOfWork]:
        """A new transaction; committed when the block ends without error."""
        async with self.runtime.database.transaction() as session:
            yield InventoryUnitOfWork(
                session, self.runtime.outbox, self.runtime.service, outgoing=message_for
            )

    def unit_of_work_for(self, incoming: Incoming) -> InventoryUnitOfWork:
        """The unit of work applying an incoming message: in the consumer's transaction, and
        answering in the message's conversation."""
        return InventoryUnitOfWork(
            incoming.session,
            self.runtime.outbox,
            self.runtime.service,
            outgoing=message_for,
            replying_to=incoming.envelope,
        )


def bootstrap(settings: InventorySettings, *, clock: Clock = utcnow) -> InventoryService:
    """Wire the runtime (database, broker, relay) and the stock-command consumer; start nothing."""
    runtime = ServiceRuntime(settings, messaging_tables, MIGRATIONS_DIR, clock=clock)
    service = InventoryService(settings, runtime)
    for subscription in consumers.subscriptions(service.unit_of_work_for, runtime.clock):
        runtime.subscribe(subscription)
    return service
