"""``/metrics`` of the running services, scraped as Prometheus would: the outbox rows waiting
while nats-server is down (and none once it is back), requests by route, messages by consumer.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx
from chassis.testing import eventually
from prometheus_client.parser import text_string_to_metric_families

from mkservice.stack import Supervisor
from mkservice_lab.client import CheckoutClient


async def scrape(
    stack: Supervisor, service: str
) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of ``service``'s /metrics: (name, sorted labels) -> value, scraped with a
    token of the ``metrics`` scope as Prometheus's own client would."""
    authorization = {"Authorization": f"Bearer {stack.token('prometheus', ['metrics'])}"}
    async with httpx.AsyncClient(timeout=5) as http:
        response = await http.get(f"{stack.url(service)}/metrics", headers=authorization)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


async def pending(stack: Supervisor) -> float:
    return (await scrape(stack, "orders"))[("outbox_pending_messages", ())]


async def test_outbox_rows_wait_while_nats_is_down_and_none_once_it_is_back(
    stack: Supervisor, checkout: CheckoutClient, unique: Callable[[str], str]
) -> None:
    sku = unique("sku")
    await checkout.create_product(sku, stock=5)
    assert stack.nats is not None
    await asyncio.to_thread(stack.nats.stop)
    try:
        placed = await checkout.place_order([{"sku": sku, "quantity": 1}], "tok_ok")
        await eventually(lambda: _at_least(pending(stack), 1), timeout=10)
        samples = await scrape(stack, "orders")
        assert samples[("outbox_oldest_pending_age_seconds", ())] >= 0.0
        assert samples[("outbox_relay_publish_failures_total", ())] >= 0.0
    finally:
        await asyncio.to_thread(stack.nats.start)
    await eventually(lambda: _is(pending(stack), 0), timeout=30)
    order = (await checkout.wait_terminal([placed["id"]], timeout=60))[placed["id"]]
    assert order["status"] == "CONFIRMED", order
    samples = await scrape(stack, "orders")
    assert samples[("outbox_oldest_pending_age_seconds", ())] == 0.0
    post = (
        "http_server_requests_total",
        (("method", "POST"), ("route", "/orders"), ("status", "202")),
    )
    assert samples[post] >= 1
    assert (
        "http_server_request_duration_seconds_count",
        (("method", "POST"), ("route", "/orders")),
    ) in samples
    commands = (("consumer", "inventory-commands"),)

    async def inventory_counted() -> bool:
        # Reserved and committed; its lag is read from JetStream at each scrape.
        inventory = await scrape(stack, "inventory")
        processed = inventory.get(("messages_processed_total", commands), 0)
        return processed >= 2 and ("consumer_pending_messages", commands) in inventory

    await eventually(inventory_counted, timeout=10)


async def test_a_path_with_an_id_is_counted_under_its_route(
    stack: Supervisor, checkout: CheckoutClient
) -> None:
    async with httpx.AsyncClient(timeout=5) as http:
        await http.get(f"{stack.url('orders')}/orders/no-such-order",
                       headers=checkout.authorization("c-1"))  # fmt: skip
    samples = await scrape(stack, "orders")
    route = (
        "http_server_requests_total",
        (("method", "GET"), ("route", "/orders/{order_id}"), ("status", "404")),
    )
    assert samples[route] >= 1
    assert not any("no-such-order" in str(labels) for _name, labels in samples)


async def _at_least(value: object, expected: float) -> bool:
    return await value >= expected  # type: ignore[operator, misc]


async def _is(value: object, expected: float) -> bool:
    return await value == expected  # type: ignore[misc]


async def test_the_saga_histogram_counts_the_demos_four_outcomes(
    stack: Supervisor, checkout: CheckoutClient, unique: Callable[[str], str]
) -> None:
    def counts(samples: dict[tuple[str, tuple[tuple[str, str], ...]], float]) -> dict[str, float]:
        name = "checkout_saga_duration_seconds_count"
        return {o: samples.get((name, (("outcome", o),)), 0.0) for o in ("confirmed", "rejected")}

    before = counts(await scrape(stack, "orders"))
    sku = unique("sku")
    await checkout.create_product(sku, stock=5)
    demo = [(1, "tok_ok"), (1000, "tok_ok"), (1, "tok_decline"), (1, "tok_slow")]
    placed = [await checkout.place_order([{"sku": sku, "quantity": n}], token) for n, token in demo]
    finished = await checkout.wait_terminal([order["id"] for order in placed], timeout=60)
    statuses = [finished[order["id"]]["status"] for order in placed]
    assert statuses == ["CONFIRMED", "REJECTED", "REJECTED", "REJECTED"]

    async def counted() -> bool:
        now = counts(await scrape(stack, "orders"))
        return {o: now[o] - before[o] for o in now} == {"confirmed": 1.0, "rejected": 3.0}

    await eventually(counted, timeout=20)
