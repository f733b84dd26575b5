"""What {{ cookiecutter.service_slug }} says and hears.

Over a real nats-server, read with the chassis's ``MessageProbe``: what another service sees.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime

import httpx
import pytest
from chassis.testing import ManualClock, MessageProbe, eventually

from {{ cookiecutter.package }}.config import {{ cookiecutter.class_prefix }}Settings
from {{ cookiecutter.package }}.messaging import contracts


@pytest.fixture
async def probe(migrated: {{ cookiecutter.class_prefix }}Settings) -> AsyncIterator[MessageProbe]:
    async with MessageProbe(migrated.nats_url) as probe:
        yield probe


async def test_announces_a_new_item_through_the_outbox(
    client: httpx.AsyncClient, probe: MessageProbe
) -> None:
    await probe.follow("{{ cookiecutter.service_slug }}.evt.>")

    item = (await client.post("/items", json={"name": "evented"})).json()

    # The item's id is the conversation its messages belong to.
    [event] = await probe.wait_for(item["id"])
    assert event.type == contracts.ITEM_CREATED.type
    assert event.source == "{{ cookiecutter.service_slug }}"
    assert contracts.ITEM_CREATED.parse(event) == contracts.ItemCreatedV1(
        item_id=item["id"], name="evented"
    )


async def test_the_example_consumer_applies_the_event(
    client: httpx.AsyncClient, manual_clock: ManualClock
) -> None:
    item = (await client.post("/items", json={"name": "round trip"})).json()

    async def announced_at() -> str | None:
        body = (await client.get(f"/items/{item['id']}")).json()
        return body["announced_at"]

    assert datetime.fromisoformat(str(await eventually(announced_at))) == manual_clock.now


async def test_parks_a_message_that_breaks_its_contract(
    client: httpx.AsyncClient, probe: MessageProbe
) -> None:
    await probe.follow("{{ cookiecutter.service_slug }}.dlq.>")

    # Parked at once (no retry can fix it), so the messages behind it flow on.
    sent = await probe.send(contracts.ITEM_CREATED, {"name": "no id"}, correlation_id="broken")

    [parked] = await probe.wait_for("broken")
    assert parked.id == sent.id
    assert probe.received[0].subject == "{{ cookiecutter.service_slug }}.dlq.item-announcer"
