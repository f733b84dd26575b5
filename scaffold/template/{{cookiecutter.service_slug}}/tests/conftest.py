"""Fixtures for the tests of {{ cookiecutter.service_slug }}.

Its own fresh database (SQLite, or PostgreSQL in Postgres mode) and a real nats-server, both
from the chassis's pytest plugin.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import httpx
import pytest
from chassis.migrations import upgrade
from chassis.testing import NatsServer

from {{ cookiecutter.package }}.bootstrap import MIGRATIONS_DIR
from {{ cookiecutter.package }}.config import {{ cookiecutter.class_prefix }}Settings
from {{ cookiecutter.package }}.main import create_app


@pytest.fixture
def settings(
    database_url_for: Callable[[str], str], nats_server: NatsServer
) -> {{ cookiecutter.class_prefix }}Settings:
    return {{ cookiecutter.class_prefix }}Settings(
        database_url=database_url_for("{{ cookiecutter.package }}"),
        nats_url=nats_server.url,
        relay_poll_interval_s=0.2,
    )


@pytest.fixture
async def migrated(settings: {{ cookiecutter.class_prefix }}Settings) -> {{ cookiecutter.class_prefix }}Settings:
    await asyncio.to_thread(upgrade, MIGRATIONS_DIR, settings.database_url)
    return settings


@pytest.fixture
async def client(migrated: {{ cookiecutter.class_prefix }}Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The app with its lifespan running (relay and consumers), called in-process."""
    app = create_app(migrated)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client
