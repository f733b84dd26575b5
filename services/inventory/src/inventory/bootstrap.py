"""The composition root of inventory: settings in, a wired service out."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from chassis import ServiceRuntime
from sqlalchemy.ext.asyncio import AsyncSession

from inventory.adapters.tables import messaging_tables
from inventory.config import InventorySettings
from inventory.messaging import consumers
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
            yield self.unit_of_work_in(session)

    def unit_of_work_in(self, session: AsyncSession) -> InventoryUnitOfWork:
        """A unit of work over a transaction someone else opened (a consumer's)."""
        return InventoryUnitOfWork(session, self.runtime.outbox)


def bootstrap(settings: InventorySettings) -> InventoryService:
    """Wire the runtime (database, broker, relay) and the stock-command consumer; start nothing."""
    runtime = ServiceRuntime(settings, messaging_tables, MIGRATIONS_DIR)
    service = InventoryService(settings, runtime)
    for subscription in consumers.subscriptions(service):
        runtime.subscribe(subscription)
    return service
