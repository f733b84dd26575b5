"""The read API: one order's payment, the list with its status filter, problem bodies."""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx
from chassis.testing import NatsServer, eventually

if TYPE_CHECKING:
    from tests.conftest import Saga


async def test_gets_the_payment_of_an_order(saga: Saga, client: httpx.AsyncClient) -> None:
    order_id = "order-1"
    await saga.charge(order_id, 1_234)
    [reply] = await saga.wait_for(order_id)

    response = await client.get(f"/payments/{order_id}")
    assert response.status_code == 200
    body = response.json()
    assert body["order_id"] == order_id
    assert body["payment_id"] == reply.data["payment_id"]
    assert (body["status"], body["amount_cents"], body["refunded_cents"]) == ("CHARGED", 1_234, 0)
    assert body["reason"] is None


async def test_an_order_without_a_payment_is_a_404_problem(client: httpx.AsyncClient) -> None:
    response = await client.get("/payments/order-unknown")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 404
    assert body["detail"] == "no payment for order 'order-unknown'"
    assert body["order_id"] == "order-unknown"


async def test_lists_payments_oldest_first_and_filters_by_status(
    saga: Saga, client: httpx.AsyncClient
) -> None:
    charged, declined = "order-charged", "order-declined"
    await saga.charge(charged, 100)
    await saga.wait_for(charged)
    await saga.charge(declined, 100, "tok_decline")
    await saga.wait_for(declined)

    everything = (await client.get("/payments")).json()
    assert [payment["order_id"] for payment in everything] == [charged, declined]
    only_declined = (await client.get("/payments", params={"status": "DECLINED"})).json()
    assert [payment["order_id"] for payment in only_declined] == [declined]
    assert (await client.get("/payments", params={"status": "REFUNDED"})).json() == []
    page = (await client.get("/payments", params={"limit": 1, "offset": 1})).json()
    assert [payment["order_id"] for payment in page] == [declined]


async def test_an_unknown_status_filter_is_a_422_naming_the_parameter(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/payments", params={"status": "PAID"})
    assert response.status_code == 422
    body = response.json()
    assert body["detail"].startswith("query.status:")
    assert "CHARGED" in body["detail"]
    assert body["errors"][0]["loc"] == "query.status"
    too_many = await client.get("/payments", params={"limit": 0})
    assert too_many.status_code == 422
    assert "query.limit" in too_many.json()["detail"]


async def test_ready_without_broker_but_reported_degraded(
    client: httpx.AsyncClient, nats_server: NatsServer
) -> None:
    await eventually(lambda: _status(client, "ready"))
    nats_server.stop()
    await eventually(lambda: _status(client, "degraded"))
    assert (await client.get("/payments")).status_code == 200


async def _status(client: httpx.AsyncClient, expected: str) -> bool:
    response = await client.get("/health/ready")
    return response.status_code == 200 and response.json()["status"] == expected
