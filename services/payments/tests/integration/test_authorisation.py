"""Who may call payments (ADR 0026): its API is for operators, not customers. Every route needs
a token with the ``admin`` scope; the health endpoints stay open."""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx
import pytest
from chassis.auth import ADMIN_SCOPE

if TYPE_CHECKING:
    from tests.conftest import Headers, Saga

PROBLEM = "application/problem+json"
ANONYMOUS = {"Authorization": ""}  # overrides the client's default operator token
ORDER_ID = "order-1"
# Every route of the API, each with the answer an admin gets once ORDER_ID is charged.
ROUTES = {
    "/payments": 200,
    "/payments?status=CHARGED": 200,
    f"/payments/{ORDER_ID}": 200,
    "/payments/order-unknown": 404,
}
# The chassis's own routes, open or scoped by the chassis (the AsyncAPI document is as open as
# the OpenAPI one: it describes messages, it carries none).
CHASSIS = ("/health/", "/metrics", "/asyncapi.json")


@pytest.fixture
async def charged(saga: Saga) -> str:
    await saga.charge(ORDER_ID, 1_234)
    await saga.wait_for(ORDER_ID)
    return ORDER_ID


async def test_the_routes_checked_here_are_every_route_of_the_api(
    client: httpx.AsyncClient,
) -> None:
    document = (await client.get("/openapi.json", headers=ANONYMOUS)).json()
    served = {
        (path, method)
        for path, operations in document["paths"].items()
        if not path.startswith(CHASSIS)
        for method in operations
    }
    assert served == {("/payments", "get"), ("/payments/{order_id}", "get")}


async def test_without_a_token_every_route_is_a_401_problem_with_a_challenge(
    client: httpx.AsyncClient, charged: str
) -> None:
    for path in ROUTES:
        response = await client.get(path, headers=ANONYMOUS)
        assert response.status_code == 401, (path, response.text)
        assert response.headers["content-type"] == PROBLEM
        assert response.headers["www-authenticate"] == 'Bearer realm="payments"'
        assert charged not in response.text
    assert (await client.get("/health/live", headers=ANONYMOUS)).status_code == 200


async def test_a_token_that_does_not_verify_is_a_401_naming_invalid_token(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/payments", headers={"Authorization": "Bearer not-a-jwt"})
    assert response.status_code == 401
    assert response.headers["content-type"] == PROBLEM
    assert 'error="invalid_token"' in response.headers["www-authenticate"]


async def test_a_customer_token_is_a_403_on_every_route(
    client: httpx.AsyncClient, as_caller: Headers, charged: str
) -> None:
    customer = as_caller("c-1")
    for path in ROUTES:
        response = await client.get(path, headers=customer)
        assert response.status_code == 403, (path, response.text)
        assert response.headers["content-type"] == PROBLEM
        challenge = response.headers["www-authenticate"]
        assert challenge.startswith('Bearer realm="payments"')
        assert 'error="insufficient_scope"' in challenge and 'scope="admin"' in challenge
        assert charged not in response.text


async def test_an_admin_reads_every_route(
    client: httpx.AsyncClient, as_caller: Headers, charged: str
) -> None:
    admin = as_caller("ops", [ADMIN_SCOPE])
    for path, expected in ROUTES.items():
        response = await client.get(path, headers=admin)
        assert response.status_code == expected, (path, response.text)
    listed = (await client.get("/payments", headers=admin)).json()
    assert [payment["order_id"] for payment in listed] == [charged]


async def test_metrics_need_the_metrics_scope(
    client: httpx.AsyncClient, as_caller: Headers
) -> None:
    refused = await client.get("/metrics")  # admin is not metrics
    assert refused.status_code == 403
    assert 'scope="metrics"' in refused.headers["www-authenticate"]
    assert (await client.get("/metrics", headers=as_caller("prometheus", ["metrics"]))).is_success


async def test_the_openapi_document_states_who_may_call(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/openapi.json", headers=ANONYMOUS)).json()["paths"]
    for path in ("/payments", "/payments/{order_id}"):
        operation = paths[path]["get"]
        assert {"401", "403"} <= operation["responses"].keys(), path
        assert PROBLEM in operation["responses"]["401"]["content"]
        assert PROBLEM in operation["responses"]["403"]["content"]
        assert operation["security"] == [{"bearer": []}]
    assert "security" not in paths["/health/live"]["get"]
