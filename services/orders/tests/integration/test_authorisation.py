"""Who may do what in orders (ADR 0026): a bearer token is the caller, its subject the customer.
A customer places orders as themself and reads only their own; another's order does not exist
for them. The operations API is for the ``admin`` scope."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import httpx
from chassis.auth import ADMIN_SCOPE

if TYPE_CHECKING:
    from tests.conftest import Headers

ORDER = {"lines": [{"sku": "sku-lamp", "quantity": 1}], "payment_token": "tok_ok"}
PROBLEM = "application/problem+json"


async def place(client: httpx.AsyncClient, headers: dict[str, str], **extra: Any) -> str:
    accepted = await client.post("/orders", json=ORDER, headers={**headers, **extra})
    assert accepted.status_code == 202, accepted.text
    order_id: str = accepted.json()["id"]
    return order_id


async def test_without_a_token_every_order_route_is_a_401_problem_with_a_challenge(
    client: httpx.AsyncClient,
) -> None:
    anonymous = {"Authorization": ""}  # overrides the client's default customer token
    refused = [
        await client.post("/orders", json=ORDER, headers=anonymous),
        await client.get("/orders", headers=anonymous),
        await client.get("/orders/some-id", headers=anonymous),
        await client.get("/operations/sagas", headers=anonymous),
    ]
    for response in refused:
        assert response.status_code == 401, response.text
        assert response.headers["content-type"] == PROBLEM
        assert response.headers["www-authenticate"] == 'Bearer realm="orders"'
    assert (await client.get("/health/live", headers=anonymous)).status_code == 200


async def test_a_token_that_does_not_verify_is_a_401_naming_invalid_token(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/orders", headers={"Authorization": "Bearer not-a-jwt"})
    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["www-authenticate"]


async def test_the_order_belongs_to_the_tokens_subject_never_to_the_body(
    client: httpx.AsyncClient, as_caller: Headers
) -> None:
    accepted = await client.post("/orders", json=ORDER, headers=as_caller("c-7"))
    assert accepted.status_code == 202
    assert accepted.json()["customer_id"] == "c-7"

    impersonating = await client.post("/orders", json={**ORDER, "customer_id": "c-8"})
    assert impersonating.status_code == 422
    assert impersonating.headers["content-type"] == PROBLEM
    assert "customer_id" in impersonating.json()["detail"]
    assert (await client.get("/orders", headers=as_caller("c-8"))).json() == []


async def test_a_customer_sees_only_their_own_orders_and_an_admin_sees_all(
    client: httpx.AsyncClient, as_caller: Headers
) -> None:
    alice, bob = as_caller("c-alice"), as_caller("c-bob")
    alices = await place(client, alice)
    bobs = await place(client, bob)

    assert (await client.get(f"/orders/{alices}", headers=alice)).status_code == 200
    # Another customer's order is indistinguishable from one that does not exist.
    hidden = await client.get(f"/orders/{alices}", headers=bob)
    missing = await client.get("/orders/no-such-order", headers=bob)
    assert hidden.status_code == missing.status_code == 404
    assert hidden.headers["content-type"] == PROBLEM
    assert hidden.json()["detail"] == f"no order {alices}"
    assert missing.json()["detail"] == "no order no-such-order"
    assert hidden.json().keys() == missing.json().keys()

    def ids(response: httpx.Response) -> list[str]:
        assert response.status_code == 200, response.text
        return [order["id"] for order in response.json()]

    assert ids(await client.get("/orders", headers=alice)) == [alices]
    assert ids(await client.get("/orders", headers=bob)) == [bobs]
    assert ids(await client.get("/orders", params={"status": "PENDING"}, headers=bob)) == [bobs]

    admin = as_caller("ops", [ADMIN_SCOPE])
    assert ids(await client.get("/orders", headers=admin)) == [alices, bobs]
    assert ids(await client.get("/orders", params={"limit": 1, "offset": 1}, headers=admin)) == [
        bobs
    ]
    for order_id, owner in ((alices, "c-alice"), (bobs, "c-bob")):
        read = await client.get(f"/orders/{order_id}", headers=admin)
        assert read.status_code == 200
        assert read.json()["customer_id"] == owner


async def test_another_customer_reusing_an_idempotency_key_gets_nothing_of_the_first_order(
    client: httpx.AsyncClient, as_caller: Headers
) -> None:
    key = {"Idempotency-Key": "checkout-shared"}
    alices = await place(client, as_caller("c-alice"), **key)

    # The key's fingerprint covers the customer: the same body from someone else is a
    # different request, refused without naming the order or its customer.
    reused = await client.post("/orders", json=ORDER, headers={**as_caller("c-bob"), **key})
    assert reused.status_code == 409
    assert alices not in reused.text and "c-alice" not in reused.text
    assert "location" not in reused.headers
    assert (await client.get("/orders", headers=as_caller("c-bob"))).json() == []
    # The owner's retry still answers with their order.
    assert await place(client, as_caller("c-alice"), **key) == alices


async def test_the_operations_api_needs_the_admin_scope(
    client: httpx.AsyncClient, as_caller: Headers
) -> None:
    order_id = await place(client, as_caller("c-1"))
    for path in (
        "/operations/sagas",
        f"/operations/sagas/{order_id}",
        "/operations/saga-definition",
    ):
        refused = await client.get(path)  # the client's default token: a plain customer
        assert refused.status_code == 403, path
        assert refused.headers["content-type"] == PROBLEM
        challenge = refused.headers["www-authenticate"]
        assert challenge.startswith('Bearer realm="orders"')
        assert 'error="insufficient_scope"' in challenge and 'scope="admin"' in challenge
        allowed = await client.get(path, headers=as_caller("ops", [ADMIN_SCOPE]))
        assert allowed.status_code == 200, path


async def test_metrics_need_the_metrics_scope(client: httpx.AsyncClient) -> None:
    response = await client.get("/metrics")
    assert response.status_code == 403
    assert 'scope="metrics"' in response.headers["www-authenticate"]


async def test_the_openapi_document_states_who_may_call(client: httpx.AsyncClient) -> None:
    document = (await client.get("/openapi.json", headers={"Authorization": ""})).json()
    paths = document["paths"]
    for path, method in (("/orders", "post"), ("/orders", "get"), ("/orders/{order_id}", "get")):
        responses = paths[path][method]["responses"]
        assert PROBLEM in responses["401"]["content"], (path, method)
        assert "403" not in responses  # any customer may
        assert paths[path][method]["security"] == [{"bearer": []}]
    for path in (
        "/operations/sagas",
        "/operations/sagas/{order_id}",
        "/operations/saga-definition",
    ):
        responses = paths[path]["get"]["responses"]
        assert {"401", "403"} <= responses.keys(), path
        assert PROBLEM in responses["403"]["content"]
    assert "security" not in paths["/health/live"]["get"]
    assert "OrderCreate" in document["components"]["schemas"]
    assert "customer_id" not in document["components"]["schemas"]["OrderCreate"]["properties"]
