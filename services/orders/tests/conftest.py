"""Fixtures for orders's tests: its own fresh database (SQLite, or PostgreSQL in
Postgres mode) and a real nats-server, both from the chassis's pytest plugin."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import httpx
import nats
import pytest
from chassis import Envelope
from chassis.migrations import upgrade
from chassis.testing import NatsServer
from nats.aio.msg import Msg

from orders.bootstrap import MIGRATIONS_DIR
from orders.config import OrdersSettings
from orders.main import create_app


@pytest.fixture
def settings(database_url_for: Callable[[str], str], nats_server: NatsServer) -> OrdersSettings:
    return OrdersSettings(
        database_url=database_url_for("orders"),
        nats_url=nats_server.url,
        relay_poll_interval_s=0.2,
        saga_step_timeout_s=1.5,
        saga_sweep_interval_s=0.1,
    )


@pytest.fixture
async def migrated(settings: OrdersSettings) -> OrdersSettings:
    await asyncio.to_thread(upgrade, MIGRATIONS_DIR, settings.database_url)
    return settings


@pytest.fixture
async def client(migrated: OrdersSettings) -> AsyncIterator[httpx.AsyncClient]:
    """The app with its lifespan running (relay and consumers), called in-process."""
    app = create_app(migrated)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client


class ScriptedParticipants:
    """Inventory and payments as scripted stand-ins on the REAL broker.

    They create those services' streams, read the commands orders publishes there, and answer
    with the replies of the contracts (docs/checkout-contracts.md): enough to drive every path
    of the saga without running the other services (orders' suite must pass alone).
    """

    def __init__(self, nats_url: str, stock: dict[str, int], price_cents: int = 1000) -> None:
        self.nats_url = nats_url
        self.stock = dict(stock)
        self.price_cents = price_cents
        self.silent_tokens = {"tok_slow"}  # payments never answers these
        self.commands: list[tuple[str, dict]] = []  # type: ignore[type-arg]
        self.charged: dict[str, int] = {}
        self._nc: nats.aio.client.Client | None = None

    async def start(self) -> ScriptedParticipants:
        self._nc = await nats.connect(self.nats_url)
        js = self._nc.jetstream()
        await js.add_stream(name="INVENTORY", subjects=["inventory.>"])
        await js.add_stream(name="PAYMENTS", subjects=["payments.>"])
        await js.subscribe("inventory.cmd.>", cb=self._on_command, manual_ack=True)
        await js.subscribe("payments.cmd.>", cb=self._on_command, manual_ack=True)
        return self

    async def stop(self) -> None:
        if self._nc is not None:
            await self._nc.close()

    async def _on_command(self, message: Msg) -> None:
        command = Envelope.parse(message.data)
        self.commands.append((message.subject, command.data))
        reply = self._answer(message.subject, command.data)
        if reply is not None:
            subject, type_, data = reply
            envelope = command.reply(type_, source=subject.split(".")[0], data=data)
            assert self._nc is not None
            await self._nc.jetstream().publish(subject, envelope.body(), headers=envelope.headers())
        await message.ack()

    def _answer(self, subject: str, data: dict) -> tuple[str, str, dict] | None:  # type: ignore[type-arg]
        order_id = data["order_id"]
        match subject:
            case "inventory.cmd.reserve-stock":
                lines = data["lines"]
                if any(self.stock.get(line["sku"], 0) < line["quantity"] for line in lines):
                    reason = {"order_id": order_id, "reason": "out of stock", "unavailable": []}
                    return "inventory.evt.stock-rejected", "inventory.stock-rejected", reason
                for line in lines:
                    self.stock[line["sku"]] -= line["quantity"]
                total = sum(line["quantity"] * self.price_cents for line in lines)
                reserved = {"order_id": order_id, "lines": lines, "total_cents": total}
                return "inventory.evt.stock-reserved", "inventory.stock-reserved", reserved
            case "inventory.cmd.release-stock":
                return (
                    "inventory.evt.stock-released",
                    "inventory.stock-released",
                    {"order_id": order_id},
                )
            case "inventory.cmd.commit-stock":
                return (
                    "inventory.evt.stock-committed",
                    "inventory.stock-committed",
                    {"order_id": order_id},
                )
            case "payments.cmd.charge":
                token = data["payment_token"]
                if token in self.silent_tokens:
                    return None
                if token == "tok_decline":
                    declined = {"order_id": order_id, "reason": "card declined"}
                    return "payments.evt.declined", "payments.declined", declined
                self.charged[order_id] = data["amount_cents"]
                charged = {"order_id": order_id, "payment_id": f"p-{order_id}",
                           "amount_cents": data["amount_cents"]}  # fmt: skip
                return "payments.evt.charged", "payments.charged", charged
            case "payments.cmd.refund":
                amount = self.charged.pop(order_id, 0)
                refunded = {
                    "order_id": order_id,
                    "payment_id": f"p-{order_id}",
                    "amount_cents": amount,
                }
                return "payments.evt.refunded", "payments.refunded", refunded
        return None


@pytest.fixture
async def participants(nats_server: NatsServer) -> AsyncIterator[ScriptedParticipants]:
    scripted = await ScriptedParticipants(nats_server.url, {"sku-lamp": 3, "sku-last": 1}).start()
    yield scripted
    await scripted.stop()
