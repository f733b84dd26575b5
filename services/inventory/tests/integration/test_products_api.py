"""The HTTP API against a real database (and the service's real runtime)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx
import pytest
from chassis.testing import NatsServer, eventually

if TYPE_CHECKING:
    from tests.conftest import Catalog

LAMP = {"sku": "sku-lamp", "name": "Desk lamp", "price_cents": 3900, "stock": 5}


async def test_creates_lists_and_gets_products(client: httpx.AsyncClient) -> None:
    created = await client.post("/products", json=LAMP)
    assert created.status_code == 201, created.text
    assert created.json() == {
        "sku": "sku-lamp",
        "name": "Desk lamp",
        "price_cents": 3900,
        "available": 5,
        "reserved": 0,
        "sold": 0,
    }
    await client.post("/products", json={**LAMP, "sku": "sku-chair", "name": "Chair"})

    listed = await client.get("/products")
    assert [p["sku"] for p in listed.json()] == ["sku-chair", "sku-lamp"]
    fetched = await client.get("/products/sku-lamp")
    assert fetched.status_code == 200
    assert fetched.json() == created.json()


async def test_refuses_a_second_product_with_the_same_sku(catalog: Catalog) -> None:
    await catalog.add("sku-lamp", stock=5, price_cents=3900)
    again = await catalog.client.post("/products", json={**LAMP, "stock": 99})
    assert again.status_code == 409
    assert again.headers["content-type"] == "application/problem+json"
    assert again.json()["detail"] == "a product with sku 'sku-lamp' already exists"
    assert again.json()["sku"] == "sku-lamp"
    assert await catalog.stock("sku-lamp") == (5, 0, 0)


@pytest.mark.parametrize(
    ("change", "mentions"),
    [
        ({"price_cents": 0}, "price_cents"),
        ({"price_cents": "12"}, "price_cents"),
        ({"stock": -1}, "stock"),
        ({"colour": "red"}, "colour"),
        ({"name": "   "}, "name"),
        ({"sku": "sku lamp"}, "sku"),
        ({"sku": None}, "sku"),
    ],
)
async def test_refuses_bad_product_input_with_a_useful_problem(
    client: httpx.AsyncClient, change: dict[str, object], mentions: str
) -> None:
    response = await client.post("/products", json={**LAMP, **change})
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["status"] == 422
    assert mentions in body["detail"]
    assert (await client.get("/products")).json() == []


async def test_answers_404_problems_for_an_unknown_product_or_reservation(
    client: httpx.AsyncClient,
) -> None:
    product = await client.get("/products/sku-nope")
    assert product.status_code == 404
    assert product.json()["detail"] == "no product with sku 'sku-nope'"
    reservation = await client.get("/reservations/order-nope")
    assert reservation.status_code == 404
    assert reservation.json()["detail"] == "no reservation for order 'order-nope'"


async def test_ready_without_broker_but_reported_degraded(
    client: httpx.AsyncClient, nats_server: NatsServer
) -> None:
    await eventually(lambda: _status(client, "ready"))
    nats_server.stop()
    await eventually(lambda: _status(client, "degraded"))
    accepted = await client.post("/products", json=LAMP)
    assert accepted.status_code == 201


async def _status(client: httpx.AsyncClient, expected: str) -> bool:
    response = await client.get("/health/ready")
    return response.status_code == 200 and response.json()["status"] == expected
