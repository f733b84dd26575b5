"""Fixtures for payments's tests: its own fresh database (SQLite, or PostgreSQL in Postgres
mode), a real nats-server and a token issuer, all from the chassis's pytest plugin; the
service's clock; and the saga's side of the conversation, through the chassis's MessageProbe.

``client`` calls as the operator ``OPERATOR`` (the ``admin`` scope every route needs);
``as_caller("c-1")`` gives the headers of another identity for one request, and
``headers={"Authorization": ""}`` makes one without a token.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Callable, Iterable
from datetime import UTC, datetime

import httpx
import pytest
from chassis import Clock, Envelope, utcnow
from chassis.auth import ADMIN_SCOPE
from chassis.migrations import upgrade
from chassis.testing import ManualClock, MessageProbe, NatsServer
from chassis.testing.issuer import TestIssuer
from fastapi import FastAPI

from payments.bootstrap import MIGRATIONS_DIR
from payments.config import PaymentsSettings
from payments.main import create_app
from payments.messaging import contracts

# Short enough for a test to wait for, long enough for a refund to arrive before it passes.
SLOW_DELAY_S = 1.5
# Who ``client`` is: an operator with the admin scope.
OPERATOR = "ops"
Headers = Callable[..., dict[str, str]]
"""``as_caller(subject, scopes=())``: the Authorization header of a request as ``subject``."""


@pytest.fixture
def settings(
    database_url_for: Callable[[str], str], nats_server: NatsServer, test_issuer: TestIssuer
) -> PaymentsSettings:
    return PaymentsSettings(
        **test_issuer.settings(),
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
def manual_clock() -> ManualClock:
    """A clock standing at noon on 2026-01-01 (a past day: housekeeping prunes nothing)."""
    return ManualClock(datetime(2026, 1, 1, 12, tzinfo=UTC))


@pytest.fixture
def clock() -> Clock:
    """The service's clock: the real one. A test module that sets the time overrides this
    fixture (returning ``manual_clock``, say)."""
    return utcnow


@pytest.fixture
async def app(migrated: PaymentsSettings, clock: Clock) -> AsyncIterator[FastAPI]:
    """The app with its lifespan running (relay, consumer, settler)."""
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


class Saga:
    """Plays the orders saga against payments through the chassis's :class:`MessageProbe`:
    sends charge and refund commands correlated by their order id, and reads the replies."""

    def __init__(self, probe: MessageProbe) -> None:
        self.probe = probe
        self._barriers = itertools.count()

    async def charge(self, order_id: str, amount_cents: int, token: str = "tok_visa") -> Envelope:
        payload = contracts.ChargeV1(
            order_id=order_id, amount_cents=amount_cents, payment_token=token
        )
        return await self.probe.send(contracts.CHARGE, payload, correlation_id=order_id)

    async def refund(self, order_id: str, reason: str = "order rejected") -> Envelope:
        payload = contracts.RefundV1(order_id=order_id, reason=reason)
        return await self.probe.send(contracts.REFUND, payload, correlation_id=order_id)

    def replies(self, order_id: str) -> list[Envelope]:
        """The replies for an order so far, in publication order."""
        return self.probe.of(order_id)

    async def wait_for(self, order_id: str, count: int = 1) -> list[Envelope]:
        """Wait until at least ``count`` replies for the order have arrived; return them all."""
        return await self.probe.wait_for(order_id, count)

    async def barrier(self) -> None:
        """Wait until every command sent so far was handled: the consumer handles commands in
        order, so once a fresh order's charge is answered, all earlier ones were too."""
        order_id = f"barrier-{next(self._barriers)}"
        await self.charge(order_id, 1)
        await self.wait_for(order_id)


@pytest.fixture
async def saga(client: httpx.AsyncClient, migrated: PaymentsSettings) -> AsyncIterator[Saga]:
    """The saga's side of the conversation with the running service, over the real broker."""
    async with MessageProbe(migrated.nats_url, source="orders") as probe:
        await probe.follow("payments.evt.>")
        yield Saga(probe)
