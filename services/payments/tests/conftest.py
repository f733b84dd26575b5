"""Fixtures for payments's tests: its own fresh database (SQLite, or PostgreSQL in Postgres
mode) and a real nats-server, both from the chassis's pytest plugin."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx
import pytest

# payments_harness.py lives here (pytest's importlib mode does not put test folders on the path).
sys.path.insert(0, str(Path(__file__).parent))

from chassis.migrations import upgrade  # noqa: E402
from chassis.testing import NatsServer  # noqa: E402
from payments_harness import PaymentsCaller  # noqa: E402

from payments.bootstrap import MIGRATIONS_DIR  # noqa: E402
from payments.config import PaymentsSettings  # noqa: E402
from payments.main import create_app  # noqa: E402

# Short enough for a test to wait for, long enough for a refund to arrive before it passes.
SLOW_DELAY_S = 1.5


@pytest.fixture
def settings(database_url_for: Callable[[str], str], nats_server: NatsServer) -> PaymentsSettings:
    return PaymentsSettings(
        database_url=database_url_for("payments"),
        nats_url=nats_server.url,
        relay_poll_interval_s=0.2,
        gateway_limit_cents=100_000,
        gateway_slow_delay_s=SLOW_DELAY_S,
        settle_poll_interval_s=0.1,
    )


@pytest.fixture
async def migrated(settings: PaymentsSettings) -> PaymentsSettings:
    await asyncio.to_thread(upgrade, MIGRATIONS_DIR, settings.database_url)
    return settings


@pytest.fixture
async def client(migrated: PaymentsSettings) -> AsyncIterator[httpx.AsyncClient]:
    """The app with its lifespan running (relay, consumer, settler), called in-process."""
    app = create_app(migrated)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client


@pytest.fixture
async def caller(
    client: httpx.AsyncClient, migrated: PaymentsSettings
) -> AsyncIterator[PaymentsCaller]:
    """A saga-like caller of the running service, over the real broker."""
    caller = PaymentsCaller(migrated.nats_url, migrated.stream_name)
    await caller.start()
    try:
        yield caller
    finally:
        await caller.close()
