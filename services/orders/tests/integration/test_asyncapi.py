"""The message contracts of orders as a document.

What it serves at /asyncapi.json is what is committed in contracts/asyncapi.yaml (written by
`mkservice contracts`; ADR 0027)."""

from pathlib import Path

import httpx
from chassis.testing.asyncapi import committed_asyncapi

SERVICE_ROOT = Path(__file__).resolve().parents[2]


async def test_serves_the_committed_asyncapi_document(client: httpx.AsyncClient) -> None:
    response = await client.get("/asyncapi.json", headers={"Authorization": ""})
    assert response.status_code == 200
    document = response.json()
    assert document["asyncapi"].startswith("3.")
    assert document == committed_asyncapi(SERVICE_ROOT), (
        "contracts/asyncapi.yaml is stale or missing: "
        "run `mkservice contracts orders` and commit it"
    )
