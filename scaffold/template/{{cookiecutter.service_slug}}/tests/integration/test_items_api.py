"""The HTTP API, against a real database and a real nats-server."""

from __future__ import annotations

from datetime import datetime

import httpx
from chassis.testing import ManualClock, NatsServer, eventually


async def test_creates_lists_and_gets_an_item(
    client: httpx.AsyncClient, manual_clock: ManualClock
) -> None:
    created = await client.post("/items", json={"name": "first"})
    assert created.status_code == 201, created.text
    item = created.json()
    # Stamped with the service's clock, which the tests set.
    assert datetime.fromisoformat(item["created_at"]) == manual_clock.now

    fetched = await client.get(f"/items/{item['id']}")
    assert fetched.status_code == 200
    assert fetched.json()["name"] == "first"
    listed = await client.get("/items")
    assert [i["id"] for i in listed.json()] == [item["id"]]


async def test_lists_items_oldest_first_a_page_at_a_time(client: httpx.AsyncClient) -> None:
    names = ["a", "b", "c"]
    ids = [(await client.post("/items", json={"name": name})).json()["id"] for name in names]
    # One clock time for all three: the id breaks the tie, so pages never overlap.
    expected = sorted(ids)

    first = (await client.get("/items", params={"limit": 2})).json()
    rest = (await client.get("/items", params={"limit": 2, "offset": 2})).json()

    assert [item["id"] for item in first + rest] == expected


async def test_refuses_bad_input_with_a_useful_problem(client: httpx.AsyncClient) -> None:
    empty = await client.post("/items", json={"name": "   "})
    assert empty.status_code == 422
    assert "name" in empty.json()["detail"]
    unknown = await client.post("/items", json={"name": "x", "colour": "red"})
    assert unknown.status_code == 422
    assert "colour" in unknown.json()["detail"]
    missing = await client.get("/items/nope")
    assert missing.status_code == 404
    assert (await client.get("/items")).json() == []


async def test_ready_without_broker_but_reported_degraded(
    client: httpx.AsyncClient, nats_server: NatsServer
) -> None:
    await eventually(lambda: _status(client, "ready"))
    nats_server.stop()
    await eventually(lambda: _status(client, "degraded"))
    accepted = await client.post("/items", json={"name": "while the broker is down"})
    assert accepted.status_code == 201


async def _status(client: httpx.AsyncClient, expected: str) -> bool:
    response = await client.get("/health/ready")
    return response.status_code == 200 and response.json()["status"] == expected
