"""Text the database cannot store (a NUL character, an unpaired surrogate) is the client's
mistake: a 422 problem, never a 500 (found by schemathesis on PostgreSQL)."""

import httpx
import pytest


@pytest.mark.parametrize("escaped", ["a\\u0000b", "x\\ud9fey"])
async def test_refuses_text_the_database_cannot_store(
    client: httpx.AsyncClient, escaped: str
) -> None:
    # Sent as JSON escapes, the way a client that does not check its text would send them.
    body = f'{{"lines": [{{"sku": "sku-lamp", "quantity": 1}}], "payment_token": "{escaped}"}}'
    response = await client.post(
        "/orders", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert "payment_token" in response.json()["detail"]
    assert (await client.get("/orders")).json() == []
