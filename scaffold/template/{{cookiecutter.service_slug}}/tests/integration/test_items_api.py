"""The HTTP API and its events, against a real database and a real nats-server."""

from __future__ import annotations

import httpx
import nats
from chassis import Envelope
from chassis.testing import NatsServer, eventually

from {{ cookiecutter.package }}.config import {{ cookiecutter.class_prefix }}Settings


async def test_creates_lists_and_gets_an_item(client: httpx.AsyncClient) -> None:
    created = await client.post("/items", json={"name": "first"})
    assert created.status_code == 201, created.text
    item = created.json()

    fetched = await client.get(f"/items/{item['id']}")
    assert fetched.status_code == 200
    assert fetched.json()["name"] == "first"
    listed = await client.get("/items")
    assert [i["id"] for i in listed.json()] == [item["id"]]


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


async def test_creation_event_reaches_the_broker_through_the_outbox(
    client: httpx.AsyncClient, migrated: {{ cookiecutter.class_prefix }}Settings
) -> None:
    connection = await nats.connect(migrated.nats_url)
    try:
        item = (await client.post("/items", json={"name": "evented"})).json()
        js = connection.jetstream()

        async def published() -> Envelope | None:
            try:
                message = await js.get_last_msg(
                    migrated.stream_name, "{{ cookiecutter.service_slug }}.evt.item-created"
                )
            except nats.js.errors.NotFoundError:
                return None
            return Envelope.parse(message.data or b"")

        envelope = await eventually(published)
        assert isinstance(envelope, Envelope)
        assert envelope.data == {"item_id": item["id"], "name": "evented"}
        assert envelope.source == "{{ cookiecutter.service_slug }}"
    finally:
        await connection.close()


async def test_the_example_consumer_applies_the_event(client: httpx.AsyncClient) -> None:
    item = (await client.post("/items", json={"name": "round trip"})).json()

    async def announced() -> bool:
        body = (await client.get(f"/items/{item['id']}")).json()
        return body["announced_at"] is not None

    await eventually(announced)


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
