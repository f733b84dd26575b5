"""The composition root of {{ cookiecutter.service_slug }}.

Settings in, a wired service out.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from chassis import ServiceRuntime
from sqlalchemy.ext.asyncio import AsyncSession

from {{ cookiecutter.package }}.adapters.tables import messaging_tables
from {{ cookiecutter.package }}.config import {{ cookiecutter.class_prefix }}Settings
from {{ cookiecutter.package }}.messaging import consumers
from {{ cookiecutter.package }}.service_layer.unit_of_work import {{ cookiecutter.class_prefix }}UnitOfWork

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"


@dataclass
class {{ cookiecutter.class_prefix }}Service:
    """The running service: its settings, its infrastructure, and units of work over it."""

    settings: {{ cookiecutter.class_prefix }}Settings
    runtime: ServiceRuntime

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[{{ cookiecutter.class_prefix }}UnitOfWork]:
        """A new transaction; committed when the block ends without error."""
        async with self.runtime.database.transaction() as session:
            yield self.unit_of_work_in(session)

    def unit_of_work_in(self, session: AsyncSession) -> {{ cookiecutter.class_prefix }}UnitOfWork:
        """A unit of work over a transaction someone else opened (a consumer's)."""
        return {{ cookiecutter.class_prefix }}UnitOfWork(session, self.runtime.outbox)


def bootstrap(settings: {{ cookiecutter.class_prefix }}Settings) -> {{ cookiecutter.class_prefix }}Service:
    runtime = ServiceRuntime(settings, messaging_tables, MIGRATIONS_DIR)
    service = {{ cookiecutter.class_prefix }}Service(settings, runtime)
    for subscription in consumers.subscriptions(service):
        runtime.subscribe(subscription)
    return service
