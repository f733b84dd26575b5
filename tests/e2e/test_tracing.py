"""One checkout is one trace: the stack's three services export OTLP/HTTP to a receiver this
test runs, and the spans of a confirmed checkout (orders, inventory and payments) form one tree
whose root is the ``POST /orders``, across the outbox, the relay and NATS; a duplicated delivery
stays in that trace.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import nats
import pytest
from chassis.testing import eventually
from chassis.testing.otlp import OtlpReceiver, ReceivedSpan

from mkservice.stack import Supervisor
from mkservice_lab.client import CheckoutClient

SERVER, CONSUMER = 2, 5  # the protobuf's SpanKind values


@pytest.fixture(scope="module")
def receiver() -> Iterator[OtlpReceiver]:
    with OtlpReceiver() as running:
        yield running


@pytest.fixture(scope="module")
def stack_options(receiver: OtlpReceiver) -> dict[str, Any]:
    # Exported every 100 ms, so the test waits for spans, not for the batch's 5 s default.
    env = {
        "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint,
        "OTEL_BSP_SCHEDULE_DELAY": "100",
        "PAYMENTS_TRACE_DATABASE": "true",  # payments' statements too; the others' not
    }
    return {"env": env}


def processed(spans: list[ReceivedSpan], service: str) -> list[ReceivedSpan]:
    return [s for s in spans if s.service == service and s.kind == CONSUMER]


async def traced_checkout(
    checkout: CheckoutClient, unique: Any, token: str
) -> tuple[dict[str, Any], str]:
    """One order of one unit of a fresh product, once its saga is over, and its trace id (from
    orders' ``traceresponse``)."""
    sku = unique("sku")
    await checkout.create_product(sku, stock=3)
    order = await checkout.place_and_wait([{"sku": sku, "quantity": 1}], token)
    return dict(order), checkout.trace_ids[order["id"]]


def orphans(spans: list[ReceivedSpan]) -> list[str]:
    """The spans whose parent is not in ``spans``, but the root: none when they form one tree."""
    ids = {s.span_id for s in spans}
    return [s.name for s in spans if not s.is_root and s.parent_span_id not in ids]


async def test_a_confirmed_checkout_is_one_trace_across_the_three_services(
    stack: Supervisor, checkout: CheckoutClient, receiver: OtlpReceiver, unique: Any
) -> None:
    order, trace_id = await traced_checkout(checkout, unique, "tok_ok")
    assert order["status"] == "CONFIRMED", order

    def whole() -> bool:
        spans = receiver.trace(trace_id)
        # Stock reserved and committed, payment charged, both replies handled by orders.
        return (
            len({s.attributes["messaging.destination.name"] for s in processed(spans, "inventory")})
            >= 2
            and len(processed(spans, "payments")) >= 1
            and len(processed(spans, "orders")) >= 3
        )

    await eventually(whole, timeout=20)
    spans = receiver.trace(trace_id)
    assert {s.service for s in spans} == {"orders", "inventory", "payments"}
    assert [s.name for s in spans if s.kind == SERVER] == ["POST /orders"]
    [root] = [s for s in spans if s.is_root]
    assert (root.service, root.name) == ("orders", "POST /orders")
    assert orphans(spans) == [], "every span's parent is in the trace: one tree from the POST"
    for span in processed(spans, "inventory"):
        assert span.attributes["messaging.system"] == "nats"
        assert span.attributes["messaging.message.id"]
    publishes = [s for s in spans if s.name.startswith("publish ")]
    assert {s.service for s in publishes} == {"orders", "inventory", "payments"}
    statements = {s.service for s in spans if "db.system" in s.attributes}
    assert statements == {"payments"}, "a span per statement where TRACE_DATABASE is set"
    # The operations API (what the saga console shows) names the same trace.
    detail = await checkout._request(
        "GET",
        "orders",
        f"/operations/sagas/{order['id']}",
        headers=checkout.authorization("ops", ["admin"]),
    )
    assert detail.json()["trace_id"] == trace_id


async def test_a_duplicated_delivery_stays_in_the_checkouts_trace(
    stack: Supervisor, checkout: CheckoutClient, receiver: OtlpReceiver, unique: Any
) -> None:
    _order, trace_id = await traced_checkout(checkout, unique, "tok_ok")
    client = await nats.connect(servers=stack.operator_nats_url.split(","))
    try:
        js = client.jetstream()
        # This checkout's first command to inventory, as stored: re-published as is, with a
        # new stream message id, it is a duplicate for the inbox.
        subscription = await js.subscribe("inventory.cmd.>", ordered_consumer=True)
        while True:
            message = await subscription.next_msg(timeout=5)
            stored = dict(message.headers or {})
            if trace_id in stored.get("traceparent", ""):
                break
        headers = {**stored, "Nats-Msg-Id": str(uuid.uuid4())}
        await js.publish(message.subject, message.data, headers=headers)
        await subscription.unsubscribe()
    finally:
        await client.close()
    envelope_id = json.loads(message.data)["id"]

    def duplicates() -> list[ReceivedSpan]:
        return [
            s
            for s in processed(receiver.trace(trace_id), "inventory")
            if s.attributes.get("messaging.message.id") == envelope_id
            and s.attributes.get("mkservice.inbox.duplicate")
        ]

    await eventually(duplicates, timeout=20)
    [again] = duplicates()
    assert again.parent_span_id in {s.span_id for s in receiver.trace(trace_id)}


async def test_a_timeout_and_its_compensation_stay_in_the_orders_trace(
    stack: Supervisor, checkout: CheckoutClient, receiver: OtlpReceiver, unique: Any
) -> None:
    # The slow token answers after the payment step's deadline: the sweeper times it out.
    order, trace_id = await traced_checkout(checkout, unique, "tok_slow")
    assert order["status"] == "REJECTED", order

    def compensated() -> bool:
        spans = receiver.trace(trace_id)
        timed_out = [s for s in spans if s.service == "orders" and s.name == "saga deadline passed"]
        released = [
            s for s in processed(spans, "inventory")
            if s.attributes["messaging.destination.name"] == "inventory.cmd.release-stock"
        ]  # fmt: skip
        return bool(timed_out and released)

    await eventually(compensated, timeout=20)
    # Each service exports in its own batches: a parent's batch may still be on its way.
    await eventually(lambda: orphans(receiver.trace(trace_id)) == [], timeout=10)
    assert orphans(receiver.trace(trace_id)) == []
