"""Poison messages on every consumer's subjects are parked on ``<service>.dlq.<consumer>`` with
a reason, and the consumer goes on with the next good message.

Each case publishes, on a subject the consumer reads: a body that is no envelope, one larger
than the chassis's ``<PREFIX>MAX_MESSAGE_BYTES`` (256 KiB by default, under nats-server's 1 MiB),
an envelope of an unknown type, one of a schema version the consumer does not speak, and one
whose payload breaks the contract; then a good message, whose effect must follow.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx
import pytest
from chassis import Envelope
from nats.aio.client import Client
from nats.aio.msg import Msg

from mkservice.stack import Supervisor

REASON = "Mk-Dead-Letter-Reason"
# Over the chassis's default max_message_bytes (262 144), under nats-server's max_payload.
OVERSIZED_BYTES = 300_000


@dataclass(frozen=True)
class Case:
    service: str
    consumer: str
    subject: str
    type: str
    source: str


CASES = [
    Case("orders", "inventory-replies", "inventory.evt.stock-reserved",
         "inventory.stock-reserved", "inventory"),
    Case("orders", "payments-replies", "payments.evt.charged", "payments.charged", "payments"),
    Case("inventory", "commands", "inventory.cmd.reserve-stock", "inventory.reserve-stock",
         "orders"),
    Case("payments", "commands", "payments.cmd.charge", "payments.charge", "orders"),
]  # fmt: skip


def poison(case: Case) -> list[tuple[bytes, tuple[str, ...]]]:
    """(body, words one of which the parking reason must contain) of each bad message."""

    def envelope(**fields: object) -> bytes:
        base = {"type": case.type, "source": case.source, "correlation_id": str(uuid.uuid4())}
        return Envelope(**{**base, **fields}).body()  # type: ignore[arg-type]

    return [
        (b'{"this is": not json', ("unparseable envelope",)),
        # A well-formed envelope, only too large: parked unread, naming its size.
        (
            envelope(data={"order_id": "x", "padding": "x" * OVERSIZED_BYTES}),
            ("exceeds the limit of 262144 bytes",),
        ),
        (json.dumps({"type": case.type, "data": {}}).encode(), ("unparseable envelope",)),
        (envelope(type=f"{case.service}.teleport-stock", data={}), ("unknown message type",)),
        (envelope(schema_version=99, data={"order_id": "x"}), ("unsupported schema version",)),
        # Parked at once as a contract violation, or after its retries ran out.
        (envelope(data={"order_id": 42, "amount_cents": -5}), ("payload does not match", "failed")),
    ]


async def publish(operator: Client, subject: str, body: bytes) -> None:
    await operator.jetstream().publish(subject, body, headers={"Nats-Msg-Id": str(uuid.uuid4())})


async def wait_for(messages: list[Msg], count: int, timeout: float = 45.0) -> list[Msg]:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        if len(messages) >= count or loop.time() > deadline:
            return messages
        await asyncio.sleep(0.1)


async def good_message_is_applied(
    case: Case,
    stack: Supervisor,
    operator: Client,
    http: httpx.AsyncClient,
    products: Callable[[int], Awaitable[list[str]]],
) -> None:
    """A good message published after the poison has its effect."""
    (sku,) = await products(1)
    if case.service == "orders":
        body = {"lines": [{"sku": sku, "quantity": 1}], "payment_token": "tok_ok"}
        order = (await http.post(f"{stack.url('orders')}/orders", json=body)).json()
        for _ in range(300):
            current = (await http.get(f"{stack.url('orders')}/orders/{order['id']}")).json()
            if current["status"] != "PENDING":
                break
            await asyncio.sleep(0.1)
        assert current["status"] == "CONFIRMED", current
        return
    order_id = str(uuid.uuid4())
    replies: list[Msg] = []

    async def collect(message: Msg) -> None:
        if json.loads(message.data)["data"].get("order_id") == order_id:
            replies.append(message)

    await operator.subscribe(f"{case.service}.evt.>", cb=collect)
    data = (
        {"order_id": order_id, "lines": [{"sku": sku, "quantity": 1}]}
        if case.service == "inventory"
        else {"order_id": order_id, "amount_cents": 1_000, "payment_token": "tok_ok"}
    )
    good = Envelope(type=case.type, source="orders", correlation_id=order_id, data=data)
    await publish(operator, case.subject, good.body())
    await wait_for(replies, 1, timeout=30)
    assert replies, f"{case.service} answered nothing to a good {case.type} after the poison"
    assert json.loads(replies[0].data)["type"] in {"inventory.stock-reserved", "payments.charged"}


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.service}-{c.consumer}")
async def test_parks_poison_messages_with_a_reason_and_keeps_consuming(
    case: Case,
    stack: Supervisor,
    operator: Client,
    http: httpx.AsyncClient,
    products: Callable[[int], Awaitable[list[str]]],
) -> None:
    parked: list[Msg] = []

    async def collect(message: Msg) -> None:
        parked.append(message)

    await operator.subscribe(f"{case.service}.dlq.{case.consumer}", cb=collect)
    bad = poison(case)
    for body, _ in bad:
        await publish(operator, case.subject, body)
    await wait_for(parked, len(bad))

    assert len(parked) == len(bad), [m.headers for m in parked]
    by_body = {message.data: message.headers or {} for message in parked}
    for body, words in bad:
        headers = by_body[body]
        assert any(word in headers[REASON] for word in words), headers
        assert headers["Mk-Original-Subject"] == case.subject
    await good_message_is_applied(case, stack, operator, http, products)
