"""The composition root of payments: settings (and a clock) in, a wired service out.

The only module that knows every piece: it builds the runtime and the gateway, hands the
consumer only the units of work, the clock and the gateway it needs, runs the settler's step as
a background loop, and gives every unit of work ``message_for``. Nothing imports it back but
``main`` and ``__main__``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from chassis import Clock, Incoming, ServiceRuntime, utcnow

from payments.adapters.tables import messaging_tables
from payments.config import PaymentsSettings
from payments.domain import SimulatedGateway
from payments.messaging import consumers
from payments.messaging.outgoing import message_for
from payments.service_layer import settler
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
            yield PaymentsUnitOfWork(
                session, self.runtime.outbox, self.runtime.service, outgoing=message_for
            )

    def unit_of_work_for(self, incoming: Incoming) -> PaymentsUnitOfWork:
        """The unit of work applying an incoming message: in the consumer's transaction, and
        answering in the message's conversation."""
        return PaymentsUnitOfWork(
            incoming.session,
            self.runtime.outbox,
            self.runtime.service,
            outgoing=message_for,
            replying_to=incoming.envelope,
        )

    async def settle(self) -> int:
        """One round of the settler, at the clock's time now."""
        return await settler.settle_once(self.unit_of_work, self.runtime.clock())


def bootstrap(settings: PaymentsSettings, *, clock: Clock = utcnow) -> PaymentsService:
    """Wire the runtime (database, broker, relay), the gateway, the commands consumer and the
    settler's loop; start nothing."""
    runtime = ServiceRuntime(settings, messaging_tables, MIGRATIONS_DIR, clock=clock)
    gateway = SimulatedGateway(
        limit_cents=settings.gateway_limit_cents,
        slow_delay=timedelta(seconds=settings.gateway_slow_delay_s),
    )
    service = PaymentsService(settings, runtime, gateway)
    for subscription in consumers.subscriptions(service.unit_of_work_for, runtime.clock, gateway):
        runtime.subscribe(subscription)
    runtime.every(settings.settle_poll_interval_s, service.settle, name="payments-settler")
    return service
