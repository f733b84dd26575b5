"""Fixtures for inventory's tests: its own fresh database (SQLite, or PostgreSQL in
Postgres mode), a real nats-server and a token issuer, all from the chassis's pytest plugin.

``client`` calls as the operator ``OPERATOR`` (the ``admin`` scope: most tests create products
or read reservations); ``as_caller("c-1")`` gives the headers of another identity for one
request, and ``headers={"Authorization": ""}`` makes one without a token.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from chassis import Clock, Contract, Envelope, utcnow
from chassis.auth import ADMIN_SCOPE
from chassis.migrations import upgrade
from chassis.testing import ManualClock, MessageProbe, NatsServer, Received
from chassis.testing.issuer import TestIssuer
from fastapi import FastAPI

from inventory.bootstrap import MIGRATIONS_DIR, InventoryService
from inventory.config import InventorySettings
from inventory.main import create_app

# Who ``client`` is: an operator with the admin scope.
OPERATOR = "ops"
Headers = Callable[..., dict[str, str]]
"""``as_caller(subject, scopes=())``: the Authorization header of a request as ``subject``."""


@pytest.fixture
def settings(
    database_url_for: Callable[[str], str], nats_server: NatsServer, test_issuer: TestIssuer
) -> InventorySettings:
    return InventorySettings(
        **test_issuer.settings(),
        database_url=database_url_for("inventory"),
        nats_url=nats_server.url,
        relay_poll_interval_s=0.2,
    )


@pytest.fixture
async def migrated(settings: InventorySettings) -> InventorySettings:
    await asyncio.to_thread(upgrade, MIGRATIONS_DIR, settings.database_url)
    return settings


@pytest.fixture
def manual_clock() -> ManualClock:
    """A clock standing at noon on 2026-01-01 (a past day: housekeeping prunes nothing)."""
    return ManualClock(datetime(2026, 1, 1, 12, tzinfo=UTC))


@pytest.fixture
def clock() -> Clock:
    """The service's clock: the real one. A test module that sets the time overrides this
    fixture (returning ``manual_clock``, say)."""
    return utcnow


@pytest.fixture
async def app(migrated: InventorySettings, clock: Clock) -> AsyncIterator[FastAPI]:
    """The app with its lifespan running (relay and consumers)."""
    app = create_app(migrated, clock=clock)
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture
def as_caller(test_issuer: TestIssuer) -> Headers:
    def headers(subject: str, scopes: Iterable[str] = ()) -> dict[str, str]:
        return test_issuer.headers(subject, scopes)

    return headers


@pytest.fixture
async def client(app: FastAPI, as_caller: Headers) -> AsyncIterator[httpx.AsyncClient]:
    """The running app, called in-process as the operator ``OPERATOR`` (``admin`` scope)."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport,
        base_url="http://test",
        headers=as_caller(OPERATOR, [ADMIN_SCOPE]),
    ) as client:
        yield client


@pytest.fixture
def service(app: FastAPI) -> InventoryService:
    """The running app's composition root (its units of work, its runtime)."""
    service: InventoryService = app.state.service
    return service


class Saga:
    """Plays the checkout saga through the chassis's :class:`MessageProbe`: sends stock
    commands correlated by their order id, and reads inventory's answers."""

    def __init__(self, probe: MessageProbe) -> None:
        self.probe = probe

    async def send(
        self, contract: Contract[Any], data: dict[str, Any], *, envelope: Envelope | None = None
    ) -> Envelope:
        """Publish a command (a new envelope unless one is given) on the contract's subject.

        Without broker dedupe, so a re-sent envelope is stored again and what is tested is the
        consumer's own idempotency.
        """
        correlation_id = envelope.correlation_id if envelope else str(data["order_id"])
        return await self.probe.send(
            contract, data, correlation_id=correlation_id, envelope=envelope, broker_dedupe=False
        )

    def answers_to(self, command: Envelope) -> list[Received]:
        return self.probe.answers_to(command)

    async def answer(self, command: Envelope) -> Received:
        """Wait for the (first) answer to ``command``: its subject and its envelope."""
        return await self.probe.answer(command)

    async def request(self, contract: Contract[Any], data: dict[str, Any]) -> Received:
        """Send a command and wait for its answer."""
        return await self.answer(await self.send(contract, data))


@pytest.fixture
async def saga(app: FastAPI, migrated: InventorySettings) -> AsyncIterator[Saga]:
    async with MessageProbe(migrated.nats_url, source="orders") as probe:
        await probe.follow("inventory.evt.>")
        yield Saga(probe)


class Catalog:
    """Products through the HTTP API: create them, read their stock."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def add(self, sku: str, stock: int, price_cents: int = 1000) -> None:
        body = {"sku": sku, "name": sku, "price_cents": price_cents, "stock": stock}
        response = await self.client.post("/products", json=body)
        assert response.status_code == 201, response.text

    async def stock(self, sku: str) -> tuple[int, int, int]:
        """(available, reserved, sold) of ``sku``."""
        body = (await self.client.get(f"/products/{sku}")).json()
        return body["available"], body["reserved"], body["sold"]


@pytest.fixture
def catalog(client: httpx.AsyncClient) -> Catalog:
    return Catalog(client)
