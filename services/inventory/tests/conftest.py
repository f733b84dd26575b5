"""Fixtures for inventory's tests: its own fresh database (SQLite, or PostgreSQL in
Postgres mode) and a real nats-server, both from the chassis's pytest plugin."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import nats
import pytest
from chassis import Contract, Envelope
from chassis.migrations import upgrade
from chassis.testing import NatsServer, eventually
from fastapi import FastAPI
from nats.aio.msg import Msg
from nats.js.api import DeliverPolicy

from inventory.bootstrap import MIGRATIONS_DIR, InventoryService
from inventory.config import InventorySettings
from inventory.main import create_app


@pytest.fixture
def settings(database_url_for: Callable[[str], str], nats_server: NatsServer) -> InventorySettings:
    return InventorySettings(
        database_url=database_url_for("inventory"),
        nats_url=nats_server.url,
        relay_poll_interval_s=0.2,
    )


@pytest.fixture
async def migrated(settings: InventorySettings) -> InventorySettings:
    await asyncio.to_thread(upgrade, MIGRATIONS_DIR, settings.database_url)
    return settings


@pytest.fixture
async def app(migrated: InventorySettings) -> AsyncIterator[FastAPI]:
    """The app with its lifespan running (relay and consumers)."""
    app = create_app(migrated)
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """The running app, called in-process."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


@pytest.fixture
def service(app: FastAPI) -> InventoryService:
    """The running app's composition root (its units of work, its runtime)."""
    service: InventoryService = app.state.service
    return service


async def broker_ready(client: httpx.AsyncClient) -> bool:
    """True once the service is connected to NATS (so its INVENTORY stream exists)."""
    response = await client.get("/health/ready")
    return response.status_code == 200 and response.json()["status"] == "ready"


class Bus:
    """Plays the checkout saga: publishes stock commands into INVENTORY as envelopes and
    collects every answer inventory publishes on ``inventory.evt.>``."""

    def __init__(self, connection: nats.NATS) -> None:
        self.js = connection.jetstream()
        self.answers: list[tuple[str, Envelope]] = []

    async def listen(self) -> None:
        async def collect(message: Msg) -> None:
            self.answers.append((message.subject, Envelope.parse(message.data)))

        await self.js.subscribe(
            "inventory.evt.>", cb=collect, deliver_policy=DeliverPolicy.ALL, ordered_consumer=True
        )

    async def send(
        self, contract: Contract[Any], data: dict[str, Any], *, envelope: Envelope | None = None
    ) -> Envelope:
        """Publish a command (a new envelope unless one is given) on the contract's subject."""
        envelope = envelope or Envelope(
            type=contract.type,
            source="orders",
            correlation_id=str(data["order_id"]),
            schema_version=contract.version,
            data=data,
        )
        headers = envelope.headers()
        # Without the message id JetStream stores a re-sent envelope again (no broker dedupe),
        # so what is tested is the consumer's own idempotency.
        headers.pop("Nats-Msg-Id")
        await self.js.publish(contract.subject, envelope.body(), headers=headers)
        return envelope

    def answers_to(self, command: Envelope) -> list[tuple[str, Envelope]]:
        return [(s, e) for s, e in self.answers if e.causation_id == command.id]

    async def answer(self, command: Envelope) -> tuple[str, Envelope]:
        """Wait for the (first) answer to ``command``: its subject and its envelope."""
        await eventually(lambda: self.answers_to(command))
        return self.answers_to(command)[0]

    async def request(self, contract: Contract[Any], data: dict[str, Any]) -> tuple[str, Envelope]:
        """Send a command and wait for its answer."""
        return await self.answer(await self.send(contract, data))


@pytest.fixture
async def bus(client: httpx.AsyncClient, migrated: InventorySettings) -> AsyncIterator[Bus]:
    await eventually(lambda: broker_ready(client))
    connection = await nats.connect(migrated.nats_url)
    try:
        bus = Bus(connection)
        await bus.listen()
        yield bus
    finally:
        await connection.close()


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
