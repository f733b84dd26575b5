"""The messaging floors, against an embedded nats-server: JetStream publish with ack (awaited one
by one, and many in flight), pull-consume with ack, and the chassis relay draining an outbox.

Messages look like the checkout's: an envelope-sized JSON body with the relay's headers,
including a unique ``Nats-Msg-Id`` (so the stream's duplicate window does its work, as in
production).
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from dataclasses import dataclass
from typing import Any

import nats
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from mkservice_lab.bench.stats import rate

STREAM = "BENCH"
SUBJECT = "bench.evt.payload"


@dataclass(frozen=True)
class JetStreamSettings:
    serial_messages: int = 2_000
    concurrent_messages: int = 20_000
    in_flight: int = 256
    consume_batch: int = 100


@dataclass(frozen=True)
class JetStreamFloors:
    publish_serial_per_s: float | None
    publish_concurrent_per_s: float | None
    consume_per_s: float | None
    consume_single_per_s: float | None


def sample_body(index: int) -> bytes:
    """An envelope-sized body (about 400 bytes), like a checkout command."""
    order_id = str(uuid.uuid4())
    data = {"order_id": order_id, "lines": [{"sku": f"sku-{index % 8}", "quantity": 1}]}
    envelope = {
        "id": str(uuid.uuid4()), "type": "inventory.reserve-stock", "source": "orders",
        "occurred_at": "2026-01-01T00:00:00Z", "correlation_id": order_id,
        "causation_id": None, "schema_version": 1, "data": data,
    }  # fmt: skip
    return json.dumps(envelope).encode()


def _headers() -> dict[str, str]:
    return {"Nats-Msg-Id": str(uuid.uuid4()), "Mk-Type": "inventory.reserve-stock"}


async def _publish_serial(js: Any, count: int) -> float | None:
    bodies = [sample_body(i) for i in range(count)]
    started = time.perf_counter()
    for body in bodies:
        await js.publish(SUBJECT, body, headers=_headers())
    return rate(count, time.perf_counter() - started)


async def _publish_concurrent(js: Any, count: int, in_flight: int) -> float | None:
    bodies = [sample_body(i) for i in range(count)]
    per_worker = [bodies[i::in_flight] for i in range(in_flight)]

    async def worker(share: list[bytes]) -> None:
        for body in share:
            await js.publish(SUBJECT, body, headers=_headers())

    started = time.perf_counter()
    await asyncio.gather(*(worker(share) for share in per_worker))
    return rate(count, time.perf_counter() - started)


async def _consume(js: Any, name: str, count: int, batch: int) -> float | None:
    """Pull ``count`` messages ``batch`` at a time with a durable consumer, acking each."""
    config = ConsumerConfig(
        durable_name=name,
        ack_policy=AckPolicy.EXPLICIT,
        deliver_policy=DeliverPolicy.ALL,
        max_ack_pending=max(1000, batch * 4),
    )
    await js.add_consumer(STREAM, config)
    subscription = await js.pull_subscribe_bind(durable=name, stream=STREAM)
    received = 0
    started = time.perf_counter()
    while received < count:
        for message in await subscription.fetch(min(batch, count - received), timeout=5):
            await message.ack()
            received += 1
    return rate(received, time.perf_counter() - started)


async def measure_jetstream(nats_url: str, settings: JetStreamSettings) -> JetStreamFloors:
    """Run the three JetStream floors against the server at ``nats_url`` (a fresh stream)."""
    connection = await nats.connect(nats_url)
    try:
        js = connection.jetstream()
        await js.add_stream(name=STREAM, subjects=["bench.>"])
        serial = await _publish_serial(js, settings.serial_messages)
        concurrent = await _publish_concurrent(js, settings.concurrent_messages, settings.in_flight)
        total = settings.serial_messages + settings.concurrent_messages
        consume = await _consume(js, "bench-batch", total, settings.consume_batch)
        # One message per pull, as the chassis consumer pulls when idle (fewer: it is slow).
        single = await _consume(js, "bench-single", min(total, 2_000), 1)
        await js.delete_stream(STREAM)
    finally:
        await connection.close()
    return JetStreamFloors(serial, concurrent, consume, single)
