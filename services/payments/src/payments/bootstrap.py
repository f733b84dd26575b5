"""The composition root of payments: settings in, a wired service out."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from chassis import ServiceRuntime
from sqlalchemy.ext.asyncio import AsyncSession

from payments.adapters.tables import messaging_tables
from payments.config import PaymentsSettings
from payments.domain import SimulatedGateway
from payments.messaging import consumers
from payments.service_layer.settler import run_settler
from payments.service_layer.unit_of_work import PaymentsUnitOfWork

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"


@dataclass
class PaymentsService:
    """The running service: its settings, its infrastructure, its gateway, and units of work."""

    settings: PaymentsSettings
    runtime: ServiceRuntime
    gateway: SimulatedGateway

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[PaymentsUnitOfWork]:
        """A new transaction; committed when the block ends without error."""
        async with self.runtime.database.transaction() as session:
            yield self.unit_of_work_in(session)

    def unit_of_work_in(self, session: AsyncSession) -> PaymentsUnitOfWork:
        """A unit of work over a transaction someone else opened (a consumer's)."""
        return PaymentsUnitOfWork(session, self.runtime.outbox)

    async def start_settler(self) -> None:
        """Startup hook: run the settler beside the consumers; the runtime cancels it at stop."""
        settler = run_settler(self.unit_of_work, interval_s=self.settings.settle_poll_interval_s)
        self.runtime.run_in_background(asyncio.create_task(settler, name="payments-settler"))


def bootstrap(settings: PaymentsSettings) -> PaymentsService:
    """Wire the runtime (database, broker, relay), the gateway and the commands consumer."""
    runtime = ServiceRuntime(settings, messaging_tables, MIGRATIONS_DIR)
    gateway = SimulatedGateway(
        limit_cents=settings.gateway_limit_cents,
        slow_delay=timedelta(seconds=settings.gateway_slow_delay_s),
    )
    service = PaymentsService(settings, runtime, gateway)
    for subscription in consumers.subscriptions(service):
        runtime.subscribe(subscription)
    return service
