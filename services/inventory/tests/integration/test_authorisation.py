"""Who may do what in inventory (ADR 0026): anyone reads the catalogue (a shop shows it);
changing the catalogue or its stock, and reading an order's reservation, need the ``admin``
scope."""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx
from chassis.auth import ADMIN_SCOPE

if TYPE_CHECKING:
    from tests.conftest import Headers

LAMP = {"sku": "sku-lamp", "name": "Desk lamp", "price_cents": 3900, "stock": 5}
PROBLEM = "application/problem+json"
ANONYMOUS = {"Authorization": ""}  # overrides the client's default operator token
# Every route that needs the admin scope, with a body where it takes one.
ADMIN_ROUTES = [("post", "/products", LAMP), ("get", "/reservations/order-1", None)]


async def call(
    client: httpx.AsyncClient, method: str, path: str, body: object, headers: dict[str, str]
) -> httpx.Response:
    return await client.request(method, path, json=body, headers=headers)


async def test_without_a_token_a_write_is_a_401_problem_with_a_challenge(
    client: httpx.AsyncClient,
) -> None:
    for method, path, body in ADMIN_ROUTES:
        response = await call(client, method, path, body, ANONYMOUS)
        assert response.status_code == 401, (path, response.text)
        assert response.headers["content-type"] == PROBLEM
        assert response.headers["www-authenticate"] == 'Bearer realm="inventory"'
        assert response.json()["status"] == 401
    assert (await client.get("/products/sku-lamp", headers=ANONYMOUS)).status_code == 404
    assert (await client.get("/health/live", headers=ANONYMOUS)).status_code == 200


async def test_a_token_that_does_not_verify_is_a_401_naming_invalid_token(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post("/products", json=LAMP, headers={"Authorization": "Bearer x"})
    assert response.status_code == 401
    assert response.headers["content-type"] == PROBLEM
    assert 'error="invalid_token"' in response.headers["www-authenticate"]
    assert (await client.get("/products", headers=ANONYMOUS)).json() == []


async def test_a_customer_without_the_admin_scope_is_a_403_and_creates_nothing(
    client: httpx.AsyncClient, as_caller: Headers
) -> None:
    customer = as_caller("c-1")
    for method, path, body in ADMIN_ROUTES:
        response = await call(client, method, path, body, customer)
        assert response.status_code == 403, (path, response.text)
        assert response.headers["content-type"] == PROBLEM
        challenge = response.headers["www-authenticate"]
        assert challenge.startswith('Bearer realm="inventory"')
        assert 'error="insufficient_scope"' in challenge and 'scope="admin"' in challenge
    # Read back: the refused write left no product behind.
    assert (await client.get("/products/sku-lamp")).status_code == 404
    assert (await client.get("/products")).json() == []


async def test_an_admin_creates_a_product_and_anyone_reads_the_catalogue(
    client: httpx.AsyncClient, as_caller: Headers
) -> None:
    created = await client.post("/products", json=LAMP, headers=as_caller("ops", [ADMIN_SCOPE]))
    assert created.status_code == 201, created.text

    for headers in (ANONYMOUS, as_caller("c-1")):
        listed = await client.get("/products", headers=headers)
        assert listed.status_code == 200
        assert [product["sku"] for product in listed.json()] == ["sku-lamp"]
        one = await client.get("/products/sku-lamp", headers=headers)
        assert one.status_code == 200
        assert one.json() == created.json()


async def test_an_admin_reads_a_reservation(client: httpx.AsyncClient) -> None:
    missing = await client.get("/reservations/order-1")  # the client's operator token
    assert missing.status_code == 404
    assert missing.headers["content-type"] == PROBLEM


async def test_metrics_need_the_metrics_scope(
    client: httpx.AsyncClient, as_caller: Headers
) -> None:
    refused = await client.get("/metrics")  # admin is not metrics
    assert refused.status_code == 403
    assert 'scope="metrics"' in refused.headers["www-authenticate"]
    assert (await client.get("/metrics", headers=as_caller("prometheus", ["metrics"]))).is_success


async def test_the_openapi_document_states_who_may_call(client: httpx.AsyncClient) -> None:
    document = (await client.get("/openapi.json", headers=ANONYMOUS)).json()
    paths = document["paths"]
    for path, method in (("/products", "post"), ("/reservations/{order_id}", "get")):
        operation = paths[path][method]
        assert {"401", "403"} <= operation["responses"].keys(), (path, method)
        assert PROBLEM in operation["responses"]["401"]["content"]
        assert PROBLEM in operation["responses"]["403"]["content"]
        assert operation["security"] == [{"bearer": []}]
    for path in ("/products", "/products/{sku}"):
        operation = paths[path]["get"]
        assert "401" not in operation["responses"] and "403" not in operation["responses"]
        assert "security" not in operation
    assert "security" not in paths["/health/live"]["get"]
