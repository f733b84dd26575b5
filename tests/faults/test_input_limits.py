"""Input the database cannot store is refused, never a 500: text with a NUL character
(PostgreSQL's text cannot hold one) and numbers beyond a 32-bit column. Schemathesis found both
in Postgres mode; these pin them down deterministically."""

from __future__ import annotations

import httpx
import pytest

from mkservice.stack import Supervisor

CASES = [
    ("orders", "/orders", {"lines": [{"sku": "a\u0000b", "quantity": 1}],
                           "payment_token": "tok_ok"}),
    ("orders", "/orders", {"lines": [{"sku": "ab", "quantity": 1}],
                           "payment_token": "tok\u0000"}),
    ("inventory", "/products", {"sku": "nul-name", "name": "a\u0000b", "price_cents": 100,
                                "stock": 1}),
    ("inventory", "/products", {"sku": "big-price", "name": "x", "price_cents": 2**59,
                                "stock": 1}),
    ("inventory", "/products", {"sku": "big-stock", "name": "x", "price_cents": 100,
                                "stock": 2**59}),
]  # fmt: skip


@pytest.mark.parametrize(
    ("service", "path", "body"), CASES, ids=["nul-sku", "nul-payment-token", "nul-name", "price",
                                             "stock"],
)  # fmt: skip
async def test_refuses_what_the_database_cannot_store(
    service: str, path: str, body: dict[str, object], stack: Supervisor, http: httpx.AsyncClient
) -> None:
    response = await http.post(stack.url(service) + path, json=body)
    assert response.status_code < 500, response.text
