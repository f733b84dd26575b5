"""The composition root of {{ cookiecutter.service_slug }}.

Settings (and a clock) in, a wired service out. The only module that knows every piece; it hands
each part only what it needs (consumers a way to open a unit of work, and the clock), and nothing
but ``main`` and ``__main__`` imports it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from chassis import Clock, Envelope, Incoming, ServiceRuntime, utcnow
from sqlalchemy.ext.asyncio import AsyncSession

from {{ cookiecutter.package }}.adapters.tables import messaging_tables
from {{ cookiecutter.package }}.config import {{ cookiecutter.class_prefix }}Settings
from {{ cookiecutter.package }}.messaging import consumers
from {{ cookiecutter.package }}.messaging.outgoing import message_for
from {{ cookiecutter.package }}.service_layer.unit_of_work import {{ cookiecutter.class_prefix }}UnitOfWork

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"


@dataclass
class {{ cookiecutter.class_prefix }}Service:
    """The running service: its settings, its infrastructure, and units of work over it."""

    settings: {{ cookiecutter.class_prefix }}Settings
    runtime: ServiceRuntime

    @property
    def clock(self) -> Clock:
        return self.runtime.clock

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[{{ cookiecutter.class_prefix }}UnitOfWork]:
        """A new transaction; committed when the block ends without error."""
        async with self.runtime.database.transaction() as session:
            yield self._unit_of_work(session)

    def unit_of_work_for(self, incoming: Incoming) -> {{ cookiecutter.class_prefix }}UnitOfWork:
        """A unit of work in the transaction a consumer applies ``incoming`` in; what it emits
        answers in that message's conversation."""
        return self._unit_of_work(incoming.session, replying_to=incoming.envelope)

    def _unit_of_work(
        self, session: AsyncSession, *, replying_to: Envelope | None = None
    ) -> {{ cookiecutter.class_prefix }}UnitOfWork:
        return {{ cookiecutter.class_prefix }}UnitOfWork(
            session,
            self.runtime.outbox,
            self.runtime.service,
            outgoing=message_for,
            replying_to=replying_to,
        )


def bootstrap(settings: {{ cookiecutter.class_prefix }}Settings, *, clock: Clock = utcnow) -> {{ cookiecutter.class_prefix }}Service:
    """Wire the runtime (database, broker, relay, housekeeping) and the consumers; start nothing."""
    runtime = ServiceRuntime(settings, messaging_tables, MIGRATIONS_DIR, clock=clock)
    service = {{ cookiecutter.class_prefix }}Service(settings, runtime)
    for subscription in consumers.subscriptions(service.unit_of_work_for, clock):
        runtime.subscribe(subscription)
    return service
