"""The composition root of orders: settings (and a clock) in, a wired service out.

The only module that knows every piece: it builds the runtime, gives every unit of work
``message_for``, hands the consumers only the units of work and the clock they need, and runs
the saga sweeper as one of the runtime's loops. Nothing imports it back but ``main`` and
``__main__``. Nothing runs at import.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from chassis import Clock, Incoming, ServiceRuntime, utcnow

from orders.adapters.tables import messaging_tables
from orders.config import OrdersSettings
from orders.domain import CHECKOUT, SagaState
from orders.domain.saga.progress import MessageTypes
from orders.messaging import consumers
from orders.messaging.outgoing import message_for
from orders.messaging.saga_types import message_types
from orders.service_layer.sweeper import time_out_due_sagas
from orders.service_layer.unit_of_work import OrdersUnitOfWork, SagaFinished

if TYPE_CHECKING:
    from prometheus_client import Gauge

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"


@dataclass
class OrdersService:
    """The running service: its settings, its infrastructure, and units of work over it."""

    settings: OrdersSettings
    runtime: ServiceRuntime
    saga_finished: SagaFinished | None = None  # the metrics' duration histogram
    # What the checkout's commands and replies travel as (the operations API shows them).
    saga_types: MessageTypes = field(default_factory=lambda: message_types(CHECKOUT))

    @property
    def step_timeout(self) -> timedelta:
        return timedelta(seconds=self.settings.saga_step_timeout_s)

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[OrdersUnitOfWork]:
        """A new transaction; committed when the block ends without error."""
        async with self.runtime.database.transaction() as session:
            yield OrdersUnitOfWork(
                session, self.runtime.outbox, self.step_timeout, outgoing=message_for,
                saga_finished=self.saga_finished,
            )  # fmt: skip

    def unit_of_work_for(self, incoming: Incoming) -> OrdersUnitOfWork:
        """The unit of work applying an incoming message: in the consumer's transaction, and
        answering in the message's conversation."""
        return OrdersUnitOfWork(
            incoming.session,
            self.runtime.outbox,
            self.step_timeout,
            outgoing=message_for,
            replying_to=incoming.envelope,
            saga_finished=self.saga_finished,
        )

    async def count_sagas(self, gauge: Gauge) -> None:
        """Set ``gauge`` to the number of sagas in each state (at each scrape of /metrics)."""
        async with self.unit_of_work() as uow:
            counts = await uow.orders.sagas_by_state()
        for state in SagaState:
            gauge.labels(state.value).set(counts.get(state.value, 0))

    async def sweep(self) -> int:
        """One round of the saga sweeper, at the runtime's clock."""
        return await time_out_due_sagas(self.unit_of_work, now=self.runtime.clock())


def bootstrap(settings: OrdersSettings, *, clock: Clock = utcnow) -> OrdersService:
    """Wire the runtime (database, broker, relay), the reply consumers and the saga sweeper;
    start nothing."""
    runtime = ServiceRuntime(settings, messaging_tables, MIGRATIONS_DIR, clock=clock)
    durations = runtime.metrics.histogram(
        "checkout_saga_duration_seconds",
        "From an order placed to its saga finished (stock committed, or compensated).",
        ["outcome"],
    )
    service = OrdersService(
        settings, runtime, lambda outcome, seconds: durations.labels(outcome).observe(seconds)
    )
    for subscription in consumers.subscriptions(service.unit_of_work_for, runtime.clock):
        runtime.subscribe(subscription)
    runtime.every(settings.saga_sweep_interval_s, service.sweep, name="saga-sweeper")
    sagas = runtime.metrics.gauge("checkout_sagas", "Checkout sagas by state.", ["state"])
    runtime.metrics.refresh_with(lambda: service.count_sagas(sagas))
    return service
