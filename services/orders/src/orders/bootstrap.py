"""The composition root of orders: settings in, a wired service out. Nothing runs at import."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from chassis import ServiceRuntime
from sqlalchemy.ext.asyncio import AsyncSession

from orders.adapters.tables import messaging_tables
from orders.config import OrdersSettings
from orders.messaging import consumers
from orders.service_layer.saga_runner import time_out_due_sagas
from orders.service_layer.unit_of_work import OrdersUnitOfWork

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"
log = logging.getLogger(__name__)


@dataclass
class OrdersService:
    """The running service: its settings, its infrastructure, and units of work over it."""

    settings: OrdersSettings
    runtime: ServiceRuntime

    @property
    def step_timeout(self) -> timedelta:
        return timedelta(seconds=self.settings.saga_step_timeout_s)

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[OrdersUnitOfWork]:
        """A new transaction; committed when the block ends without error."""
        async with self.runtime.database.transaction() as session:
            yield self.unit_of_work_in(session)

    def unit_of_work_in(self, session: AsyncSession) -> OrdersUnitOfWork:
        """A unit of work over a transaction someone else opened (a consumer's)."""
        return OrdersUnitOfWork(session, self.runtime.outbox, self.step_timeout)

    async def start_sweeper(self) -> None:
        """Start the task that times out saga steps whose deadline passed."""
        self.runtime.run_in_background(asyncio.create_task(self._sweep(), name="saga-sweeper"))

    async def _sweep(self) -> None:
        while True:
            try:
                await time_out_due_sagas(self.unit_of_work, now=datetime.now(UTC))
            except Exception:  # a database hiccup: try again next round
                log.exception("saga sweeper failed; retrying")
            await asyncio.sleep(self.settings.saga_sweep_interval_s)


def bootstrap(settings: OrdersSettings) -> OrdersService:
    runtime = ServiceRuntime(settings, messaging_tables, MIGRATIONS_DIR)
    service = OrdersService(settings, runtime)
    for subscription in consumers.subscriptions(service):
        runtime.subscribe(subscription)
    return service
