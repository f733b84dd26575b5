"""Fixtures for orders's tests: its own fresh database (SQLite, or PostgreSQL in
Postgres mode), a real nats-server and a token issuer, all from the chassis's pytest plugin.

``client`` calls as the customer ``CUSTOMER``; ``as_caller("c-2")`` or
``as_caller("ops", [ADMIN_SCOPE])`` gives the headers of another identity for one request.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from typing import Any

import httpx
import pytest
from chassis import Contract, Envelope, naming
from chassis.migrations import upgrade
from chassis.tasks import cancel_and_wait
from chassis.testing import MessageProbe, NatsServer
from chassis.testing.issuer import TestIssuer
from fastapi import FastAPI

from orders.bootstrap import MIGRATIONS_DIR
from orders.config import OrdersSettings
from orders.main import create_app
from orders.messaging import contracts as c

# Who ``client`` is: a customer with no scopes.
CUSTOMER = "c-1"
Headers = Callable[..., dict[str, str]]
"""``as_caller(subject, scopes=())``: the Authorization header of a request as ``subject``."""


@pytest.fixture
def settings(
    database_url_for: Callable[[str], str], nats_server: NatsServer, test_issuer: TestIssuer
) -> OrdersSettings:
    return OrdersSettings(
        **test_issuer.settings(),
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
def as_caller(test_issuer: TestIssuer) -> Headers:
    def headers(subject: str, scopes: Iterable[str] = ()) -> dict[str, str]:
        return test_issuer.headers(subject, scopes)

    return headers


Serve = Callable[..., contextlib.AbstractAsyncContextManager[httpx.AsyncClient]]
"""``serve(app, headers)``: ``app`` with its lifespan running, called with ``headers``."""


@contextlib.asynccontextmanager
async def _serving(
    app: FastAPI, headers: Mapping[str, str], base_url: str = "http://test"
) -> AsyncIterator[httpx.AsyncClient]:
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url=base_url, headers=dict(headers)
        ) as client:
            yield client


@pytest.fixture
def serve() -> Serve:
    """The app with its lifespan running (relay and consumers), called in-process, every
    request with the given headers (a fixture: test modules import nothing from here at run
    time)."""
    return _serving


@pytest.fixture
async def client(
    migrated: OrdersSettings, as_caller: Headers, serve: Serve
) -> AsyncIterator[httpx.AsyncClient]:
    """The app, called as the customer ``CUSTOMER``."""
    async with serve(create_app(migrated), as_caller(CUSTOMER)) as client:
        yield client


class ScriptedParticipants:
    """Inventory and payments as scripted stand-ins on the REAL broker, played by the chassis's
    :class:`MessageProbe`.

    They create those services' streams, follow the commands orders publishes there, and answer
    each with the reply of its contract (docs/checkout-contracts.md), as the real participants
    do: enough to drive every path of the saga without running the other services (orders'
    suite must pass alone).
    """

    PARTICIPANTS = ("inventory", "payments")

    def __init__(self, probe: MessageProbe, stock: dict[str, int], price_cents: int = 1000) -> None:
        self.probe = probe
        self.stock = dict(stock)
        self.price_cents = price_cents
        self.silent_tokens = {"tok_slow"}  # payments never answers these
        self.commands: list[tuple[str, dict[str, Any]]] = []
        self.replies: list[Envelope] = []  # what they answered, as sent
        self.charged: dict[str, int] = {}
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> ScriptedParticipants:
        for service in self.PARTICIPANTS:
            stream = naming.stream_name(service)
            await self.probe.js.add_stream(name=stream, subjects=naming.stream_subjects(service))
        await self.probe.follow(*(naming.all_of_kind(s, naming.COMMAND) for s in self.PARTICIPANTS))
        self._task = asyncio.create_task(self._answer_commands())
        return self

    async def stop(self) -> None:
        # One cancel() can be swallowed by nats-py's wait_for on Python 3.11 while a reply is
        # being published (the saga still runs when a test ends): cancel until it has ended.
        task, self._task = self._task, None
        await cancel_and_wait(task)
        if task is not None and not task.cancelled() and task.exception() is not None:
            raise task.exception()  # a failure of the script surfaces here

    async def _answer_commands(self) -> None:
        # The probe records what it follows; answer each command once, in the order it came.
        answered = 0
        while True:
            for received in self.probe.received[answered:]:
                answered += 1
                await self._on_command(received.subject, received.envelope)
            await asyncio.sleep(0.005)

    async def _on_command(self, subject: str, command: Envelope) -> None:
        self.commands.append((subject, command.data))
        reply = self._answer(subject, command.data)
        if reply is not None:
            contract, payload = reply
            sent = await self.probe.send(
                contract, payload, correlation_id=command.correlation_id, causation_id=command.id
            )
            self.replies.append(sent)

    def _answer(
        self, subject: str, data: dict[str, Any]
    ) -> tuple[Contract[Any], dict[str, Any]] | None:
        order_id = data["order_id"]
        match subject:
            case c.RESERVE_STOCK.subject:
                lines = data["lines"]
                if any(self.stock.get(line["sku"], 0) < line["quantity"] for line in lines):
                    reason = {"order_id": order_id, "reason": "out of stock", "unavailable": []}
                    return c.STOCK_REJECTED, reason
                for line in lines:
                    self.stock[line["sku"]] -= line["quantity"]
                total = sum(line["quantity"] * self.price_cents for line in lines)
                reserved = {"order_id": order_id, "lines": lines, "total_cents": total}
                return c.STOCK_RESERVED, reserved
            case c.RELEASE_STOCK.subject:
                return c.STOCK_RELEASED, {"order_id": order_id}
            case c.COMMIT_STOCK.subject:
                return c.STOCK_COMMITTED, {"order_id": order_id}
            case c.CHARGE.subject:
                token = data["payment_token"]
                if token in self.silent_tokens:
                    return None
                if token == "tok_decline":
                    return c.DECLINED, {"order_id": order_id, "reason": "card declined"}
                self.charged[order_id] = data["amount_cents"]
                charged = {"order_id": order_id, "payment_id": f"p-{order_id}",
                           "amount_cents": data["amount_cents"]}  # fmt: skip
                return c.CHARGED, charged
            case c.REFUND.subject:
                amount = self.charged.pop(order_id, 0)
                refunded = {"order_id": order_id, "payment_id": f"p-{order_id}",
                            "amount_cents": amount}  # fmt: skip
                return c.REFUNDED, refunded
        return None


@pytest.fixture
async def participants(nats_server: NatsServer) -> AsyncIterator[ScriptedParticipants]:
    async with MessageProbe(nats_server.url, source="scripted-participants") as probe:
        scripted = ScriptedParticipants(probe, {"sku-lamp": 3, "sku-last": 1})
        yield await scripted.start()
        await scripted.stop()
