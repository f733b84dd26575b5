"""The checkout saga end to end inside orders: real database, real nats-server, and scripted
stand-ins for inventory and payments answering on the broker."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

import httpx
from chassis.auth import METRICS_SCOPE
from chassis.testing import MessageProbe, NatsServer, eventually

from orders.config import OrdersSettings
from orders.main import create_app

if TYPE_CHECKING:
    from tests.conftest import Headers, ScriptedParticipants, Serve

ORDER = {
    "lines": [{"sku": "sku-lamp", "quantity": 1}],
    "payment_token": "tok_ok",
}


async def settled(client: httpx.AsyncClient, order_id: str, timeout: float = 20) -> dict[str, Any]:
    async def terminal() -> dict[str, Any] | None:
        body = (await client.get(f"/orders/{order_id}")).json()
        return body if body["status"] != "PENDING" else None

    return cast(dict[str, Any], await eventually(terminal, timeout=timeout))


def steps(order: dict[str, Any]) -> list[tuple[str, str]]:
    return [(entry["step"], entry["outcome"]) for entry in order["timeline"]]


async def test_confirms_an_order_once_paid_then_commits_its_stock(
    client: httpx.AsyncClient, participants: ScriptedParticipants
) -> None:
    accepted = await client.post("/orders", json=ORDER)
    assert accepted.status_code == 202, accepted.text
    assert accepted.json()["status"] == "PENDING"

    order = await settled(client, accepted.json()["id"])
    assert order["status"] == "CONFIRMED"
    assert order["total_cents"] == 1000

    async def committed() -> dict[str, Any] | None:
        body = (await client.get(f"/orders/{order['id']}")).json()
        return body if ("commit stock", "succeeded") in steps(body) else None

    order = cast(dict[str, Any], await eventually(committed, timeout=20))
    assert order["status"] == "CONFIRMED"
    assert steps(order) == [
        ("reserve stock", "started"), ("reserve stock", "succeeded"),
        ("charge payment", "started"), ("charge payment", "succeeded"), ("order", "confirmed"),
        ("commit stock", "started"), ("commit stock", "succeeded"),
    ]  # fmt: skip
    sent = [subject for subject, _ in participants.commands]
    assert sent == [
        "inventory.cmd.reserve-stock",
        "payments.cmd.charge",
        "inventory.cmd.commit-stock",
    ]


async def test_announces_each_outcome_once_in_the_orders_conversation(
    client: httpx.AsyncClient, participants: ScriptedParticipants, nats_server: NatsServer
) -> None:
    async with MessageProbe(nats_server.url) as probe:
        await probe.follow("orders.evt.>")
        ok = (await client.post("/orders", json=ORDER)).json()["id"]
        short = {**ORDER, "lines": [{"sku": "sku-lamp", "quantity": 99}]}
        rejected = (await client.post("/orders", json=short)).json()["id"]

        async def committed() -> bool:
            body = (await client.get(f"/orders/{ok}")).json()
            return ("commit stock", "succeeded") in steps(body)

        await eventually(committed, timeout=20)
        [confirmation] = await probe.wait_for(ok)
        [rejection] = await probe.wait_for(rejected)
    assert (confirmation.type, confirmation.data) == (
        "orders.order-confirmed", {"order_id": ok, "total_cents": 1000}
    )  # fmt: skip
    # Sent in the transaction that applied the payment's reply: caused by it.
    assert confirmation.causation_id is not None
    assert (rejection.type, rejection.data) == (
        "orders.order-rejected", {"order_id": rejected, "reason": "out of stock"}
    )  # fmt: skip
    assert probe.of(ok) == [confirmation]  # the commit that finished the saga announced nothing


async def test_rejects_an_order_when_stock_is_short(
    client: httpx.AsyncClient, participants: ScriptedParticipants
) -> None:
    body = {**ORDER, "lines": [{"sku": "sku-lamp", "quantity": 99}]}
    order = await settled(client, (await client.post("/orders", json=body)).json()["id"])
    assert order["status"] == "REJECTED"
    assert order["reason"] == "out of stock"
    assert [s for s, _ in participants.commands] == ["inventory.cmd.reserve-stock"]


async def test_releases_stock_when_payment_is_declined(
    client: httpx.AsyncClient, participants: ScriptedParticipants
) -> None:
    body = {**ORDER, "payment_token": "tok_decline"}
    order = await settled(client, (await client.post("/orders", json=body)).json()["id"])
    assert order["status"] == "REJECTED"
    assert order["reason"] == "payment declined: card declined"
    assert [s for s, _ in participants.commands][-1] == "inventory.cmd.release-stock"


async def test_times_out_a_silent_payment_then_refunds_and_releases(
    client: httpx.AsyncClient, participants: ScriptedParticipants
) -> None:
    body = {**ORDER, "payment_token": "tok_slow"}
    order = await settled(client, (await client.post("/orders", json=body)).json()["id"])
    assert order["status"] == "REJECTED"
    assert order["reason"] == "timed out waiting for payment"
    assert ("charge payment", "timed out") in steps(order)
    sent = [s for s, _ in participants.commands]
    assert sent[-2:] == ["payments.cmd.refund", "inventory.cmd.release-stock"]


async def test_the_same_idempotency_key_returns_the_same_order(
    client: httpx.AsyncClient, participants: ScriptedParticipants
) -> None:
    headers = {"Idempotency-Key": "checkout-42"}
    first = await client.post("/orders", json=ORDER, headers=headers)
    again = await client.post("/orders", json=ORDER, headers=headers)
    assert first.status_code == again.status_code == 202
    assert first.json()["id"] == again.json()["id"]
    changed = {**ORDER, "payment_token": "tok_other"}
    other = await client.post("/orders", json=changed, headers=headers)
    assert other.status_code == 409
    assert "Idempotency-Key" in other.json()["detail"]
    assert len((await client.get("/orders")).json()) == 1


async def test_refuses_bad_orders_with_a_useful_problem_and_stores_nothing(
    client: httpx.AsyncClient,
) -> None:
    cases = [
        ({**ORDER, "colour": "red"}, "colour"),
        ({**ORDER, "lines": []}, "lines"),
        ({**ORDER, "lines": [{"sku": "sku-lamp", "quantity": 0}]}, "quantity"),
        ({**ORDER, "lines": [{"sku": "sku-lamp", "quantity": -1}]}, "quantity"),
        ({"lines": [{"sku": "sku-lamp", "quantity": 1}]}, "payment_token"),
        # The customer is the token's subject: a body cannot name one.
        ({**ORDER, "customer_id": "c-2"}, "customer_id"),
    ]
    for body, field in cases:
        response = await client.post("/orders", json=body)
        assert response.status_code == 422, body
        assert response.headers["content-type"] == "application/problem+json"
        assert field in response.json()["detail"]
    assert (await client.get("/orders")).json() == []
    assert (await client.get("/orders/nope")).status_code == 404
    assert (await client.get("/orders", params={"status": "LOST"})).status_code == 422


async def test_lists_orders_by_status(
    client: httpx.AsyncClient, participants: ScriptedParticipants
) -> None:
    ok = (await client.post("/orders", json=ORDER)).json()["id"]
    short = {**ORDER, "lines": [{"sku": "sku-last", "quantity": 5}]}
    rejected = (await client.post("/orders", json=short)).json()["id"]
    await settled(client, ok)
    await settled(client, rejected)
    confirmed = (await client.get("/orders", params={"status": "CONFIRMED"})).json()
    assert [o["id"] for o in confirmed] == [ok]


async def test_a_saga_survives_a_restart_of_orders(
    migrated: OrdersSettings, participants: ScriptedParticipants, serve: Serve, as_caller: Headers
) -> None:
    participants.silent_tokens.add("tok_ok")  # payments "is down": the saga waits in charging
    async with serve(create_app(migrated), as_caller("c-1")) as client:
        order_id = (await client.post("/orders", json=ORDER)).json()["id"]
        await eventually(lambda: any(s == "payments.cmd.charge" for s, _ in participants.commands))

    participants.silent_tokens.discard("tok_ok")  # payments comes back; orders restarts
    async with serve(create_app(migrated), as_caller("c-1")) as client:
        order = await settled(client, order_id)
    # The charge step timed out while nobody answered: the saga compensated, as promised.
    assert order["status"] == "REJECTED"
    assert order["reason"] == "timed out waiting for payment"


async def test_metrics_count_sagas_by_state(
    client: httpx.AsyncClient, participants: ScriptedParticipants, as_caller: Headers
) -> None:
    accepted = await client.post("/orders", json=ORDER)
    await settled(client, accepted.json()["id"])

    scraper = as_caller("prometheus", [METRICS_SCOPE])

    async def counted() -> str | None:
        text = (await client.get("/metrics", headers=scraper)).text
        return text if 'checkout_sagas{state="CONFIRMED"} 1.0' in text else None

    text = await eventually(counted, timeout=20)
    assert 'checkout_sagas{state="REJECTED"} 0.0' in str(text)
    assert 'http_server_requests_total{method="POST",route="/orders",status="202"} 1.0' in str(text)


async def test_metrics_time_each_finished_saga_by_outcome_once(
    client: httpx.AsyncClient, participants: ScriptedParticipants, as_caller: Headers
) -> None:
    confirmed = (await client.post("/orders", json=ORDER)).json()["id"]
    declined = (await client.post("/orders", json={**ORDER, "payment_token": "tok_decline"})).json()
    await settled(client, confirmed)
    await settled(client, declined["id"])

    def count(outcome: str) -> str:
        return f'checkout_saga_duration_seconds_count{{outcome="{outcome}"}} 1.0'

    scraper = as_caller("prometheus", [METRICS_SCOPE])

    async def both_finished() -> str | None:
        text = (await client.get("/metrics", headers=scraper)).text
        done = count("confirmed") in text and count("rejected") in text
        return text if done else None

    text = str(await eventually(both_finished, timeout=20))
    assert 'checkout_saga_duration_seconds_bucket{le="300.0",outcome="confirmed"} 1.0' in text
