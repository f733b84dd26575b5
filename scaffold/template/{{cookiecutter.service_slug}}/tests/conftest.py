"""Fixtures for the tests of {{ cookiecutter.service_slug }}.

Its own fresh database (SQLite, or PostgreSQL in Postgres mode), a real nats-server and a token
issuer (``test_issuer``), all from the chassis's pytest plugin, and a clock the tests set.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime

import httpx
import pytest
from chassis import Clock, load_settings
from chassis.auth import ADMIN_SCOPE
from chassis.migrations import upgrade
from chassis.testing import ManualClock, NatsServer
from chassis.testing.issuer import TestIssuer
from fastapi import FastAPI

from {{ cookiecutter.package }}.bootstrap import MIGRATIONS_DIR
from {{ cookiecutter.package }}.config import {{ cookiecutter.class_prefix }}Settings
from {{ cookiecutter.package }}.main import create_app


@pytest.fixture
def manual_clock() -> ManualClock:
    """A clock standing at noon on 2026-01-01 (a past day: housekeeping prunes nothing)."""
    return ManualClock(datetime(2026, 1, 1, 12, tzinfo=UTC))


@pytest.fixture
def clock(manual_clock: ManualClock) -> Clock:
    """The service's clock: the manual one, so that tests know what time it stamps."""
    return manual_clock


@pytest.fixture
def settings(
    database_url_for: Callable[[str], str], nats_server: NatsServer, test_issuer: TestIssuer
) -> {{ cookiecutter.class_prefix }}Settings:
    return load_settings(
        {{ cookiecutter.class_prefix }}Settings,
        database_url=database_url_for("{{ cookiecutter.package }}"),
        nats_url=nats_server.url,
        relay_poll_interval_s=0.2,
        **test_issuer.settings(),
    )


@pytest.fixture
async def migrated(settings: {{ cookiecutter.class_prefix }}Settings) -> {{ cookiecutter.class_prefix }}Settings:
    await asyncio.to_thread(upgrade, MIGRATIONS_DIR, settings.database_url)
    return settings


@pytest.fixture
async def app(migrated: {{ cookiecutter.class_prefix }}Settings, clock: Clock) -> AsyncIterator[FastAPI]:
    """The app with its lifespan running (relay and consumers)."""
    app = create_app(migrated, clock=clock)
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture
async def client(app: FastAPI, test_issuer: TestIssuer) -> AsyncIterator[httpx.AsyncClient]:
    """The app called in-process by an admin (a token with the ``admin`` scope)."""
    async with _client(app, test_issuer.headers("c-admin", [ADMIN_SCOPE])) as client:
        yield client


@pytest.fixture
async def anonymous(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """The same app called without a token."""
    async with _client(app, {}) as client:
        yield client


def _client(app: FastAPI, headers: dict[str, str]) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app)
    return httpx.AsyncClient(transport=transport, base_url="http://test", headers=headers)
