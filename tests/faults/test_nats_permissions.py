"""Each service's NATS user may publish only its own subjects and the commands of the services
it calls, and read only what it consumes: the config ``mkservice.stack.nats_auth`` renders from
what each service declares in the ``nats`` section of its ``.mkservice.json`` (the one the fault
suite runs the services under, and docker-compose.yml carries)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import nats
import pytest
from chassis.messaging import Broker
from chassis.testing import NatsServer
from nats.aio.client import Client
from nats.js.api import AckPolicy, ConsumerConfig

from mkservice.stack import discover_services
from mkservice.stack.nats_auth import NatsCredentials, grants_for, write_config

REPO = Path(__file__).resolve().parents[2]
CHECKOUT = ["orders", "inventory", "payments"]


@pytest.fixture
def secured(tmp_path: Path) -> Iterator[tuple[NatsServer, NatsCredentials]]:
    """A nats-server with a user per checkout service, allowed what the service declares."""
    grants = grants_for(discover_services(REPO, only=CHECKOUT))
    credentials = write_config(tmp_path / "nats.conf", grants)
    server = NatsServer(tmp_path / "nats", config_file=tmp_path / "nats.conf").start()
    try:
        yield server, credentials
    finally:
        server.kill()


@asynccontextmanager
async def connected_as(
    server: NatsServer, credentials: NatsCredentials, user: str, errors: list[str]
) -> AsyncIterator[Client]:
    async def on_error(error: Exception) -> None:
        errors.append(str(error).lower())

    connection = await nats.connect(
        server.url, user=user, password=credentials.password(user), error_cb=on_error,
        allow_reconnect=False,
    )  # fmt: skip
    try:
        yield connection
    finally:
        await connection.close()


async def started_brokers(server: NatsServer, credentials: NatsCredentials) -> dict[str, Broker]:
    """Every service's broker, as the chassis runs it: each creates its own stream."""
    brokers = {}
    for service in CHECKOUT:
        broker = Broker(
            server.url, name=service, stream=service.upper(), subjects=[f"{service}.>"],
            user=service, password=credentials.password(service),
        )  # fmt: skip
        broker.start()
        await broker.wait_connected(15)
        brokers[service] = broker
    return brokers


async def eventually(condition: Callable[[], bool], timeout: float = 5.0) -> bool:
    for _ in range(int(timeout / 0.05)):
        if condition():
            return True
        await asyncio.sleep(0.05)
    return condition()


async def test_refuses_payments_publishing_on_orders_events(
    secured: tuple[NatsServer, NatsCredentials],
) -> None:
    server, credentials = secured
    brokers = await started_brokers(server, credentials)
    errors: list[str] = []
    try:
        async with connected_as(server, credentials, "payments", errors) as payments:
            await payments.publish("orders.evt.order-confirmed", b'{"forged": true}')
            await payments.flush()
            assert await eventually(lambda: any("permissions violation" in e for e in errors))
        assert 'publish to "orders.evt.order-confirmed"' in " ".join(errors)
        info = await brokers["orders"].js.stream_info("ORDERS")
        assert info.state.messages == 0
    finally:
        for broker in brokers.values():
            await broker.close()


@pytest.mark.parametrize(
    ("user", "subject"),
    [
        ("payments", "inventory.cmd.reserve-stock"),  # payments calls nobody
        ("inventory", "payments.cmd.charge"),
        ("inventory", "orders.evt.order-rejected"),
        ("orders", "payments.evt.charged"),  # orders may command payments, not speak for it
    ],
)
async def test_refuses_publishing_outside_a_services_own_and_called_subjects(
    secured: tuple[NatsServer, NatsCredentials], user: str, subject: str
) -> None:
    server, credentials = secured
    errors: list[str] = []
    async with connected_as(server, credentials, user, errors) as connection:
        await connection.publish(subject, b"{}")
        await connection.flush()
        assert await eventually(lambda: any(f'publish to "{subject}"' in e for e in errors))


async def test_allows_what_the_checkout_needs(
    secured: tuple[NatsServer, NatsCredentials],
) -> None:
    """Orders commands inventory and reads its replies; inventory answers on its own subjects."""
    server, credentials = secured
    brokers = await started_brokers(server, credentials)
    try:
        await brokers["orders"].publish("inventory.cmd.reserve-stock", b"{}", {}, 5)
        await brokers["inventory"].publish("inventory.evt.stock-reserved", b"{}", {}, 5)
        js = brokers["orders"].js
        await js.add_consumer(
            "INVENTORY",
            ConsumerConfig(durable_name="orders-replies", filter_subjects=["inventory.evt.>"],
                           ack_policy=AckPolicy.EXPLICIT),
        )  # fmt: skip
        subscription = await js.pull_subscribe_bind(durable="orders-replies", stream="INVENTORY")
        (message,) = await subscription.fetch(1, timeout=5)
        assert message.subject == "inventory.evt.stock-reserved"
        await message.ack()
    finally:
        for broker in brokers.values():
            await broker.close()


async def test_refuses_reading_a_stream_the_service_does_not_consume(
    secured: tuple[NatsServer, NatsCredentials],
) -> None:
    server, credentials = secured
    brokers = await started_brokers(server, credentials)
    errors: list[str] = []
    try:
        async with connected_as(server, credentials, "payments", errors) as payments:
            with pytest.raises(Exception):  # noqa: B017 - refused: nats-py reports a timeout
                await payments.jetstream().add_consumer(
                    "ORDERS", ConsumerConfig(durable_name="spy", ack_policy=AckPolicy.EXPLICIT),
                    timeout=2,
                )  # fmt: skip
            assert await eventually(lambda: any("$js.api.consumer" in e for e in errors))
    finally:
        for broker in brokers.values():
            await broker.close()
