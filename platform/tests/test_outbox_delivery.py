"""The outbox and inbox against a real nats-server and a real database (SQLite or PostgreSQL)."""

from __future__ import annotations

import asyncio

import pytest
import widget
from chassis.db import Database
from chassis.outbox import Outbox
from sqlalchemy import event, insert, update
from widget_harness import CREATED, Harness, created, eventually


async def test_rolled_back_write_leaves_no_message_and_committed_write_exactly_one(
    harness: Harness,
) -> None:
    relay = harness.relay()
    relay.start()
    harness.consumer().start()

    with pytest.raises(RuntimeError):
        async with harness.database.transaction() as session:
            await Outbox(widget.tables.outbox).add(session, CREATED, created(1))
            raise RuntimeError("business rule failed after the message was added")
    await harness.write([created(2)])

    await eventually(lambda: harness.effects())
    await asyncio.sleep(0.5)  # room for a wrong second delivery to show up
    assert await harness.effects() == 1
    assert await harness.stream_messages() == 1
    assert await harness.undelivered() == 0


async def test_broker_outage_delays_but_never_drops_a_thousand_messages(harness: Harness) -> None:
    relay = harness.relay()
    relay.start()
    harness.consumer().start()
    harness.nats.stop()

    for start in range(0, 1000, 50):
        await harness.write([created(n) for n in range(start, start + 50)])
    await asyncio.sleep(1.0)
    assert await harness.undelivered() == 1000

    harness.nats.start()
    await eventually(lambda: _equals(harness.effects(), 1000), timeout=90)
    await asyncio.sleep(0.5)
    assert await harness.effects() == 1000
    assert await harness.undelivered() == 0


async def _equals(value: object, expected: int) -> bool:
    return await value == expected  # type: ignore[misc]


async def test_relay_crash_between_publish_and_mark_gives_one_effect(harness: Harness) -> None:
    await harness.write([created(7)])
    relay = harness.relay()
    assert await relay.relay_once() is False
    # The relay "crashed" after publishing, before its mark committed: undo the mark.
    async with harness.database.transaction() as session:
        await session.execute(update(widget.tables.outbox).values(delivered_at=None))
    assert await relay.relay_once() is False
    harness.consumer().start()

    await eventually(lambda: harness.effects())
    await asyncio.sleep(0.5)
    assert await harness.effects() == 1


async def test_redelivered_message_is_applied_once_by_the_inbox(harness: Harness) -> None:
    envelope = created(8)
    headers = envelope.headers()
    del headers["Nats-Msg-Id"]  # defeat the broker's dedupe: only the inbox stands in the way
    for _ in range(3):
        await harness.broker.publish(CREATED, envelope.body(), headers, timeout=5)
    harness.consumer().start()

    await eventually(lambda: harness.effects())
    await asyncio.sleep(0.5)
    assert await harness.effects() == 1
    assert await harness.stream_messages() == 3


async def test_poison_message_is_parked_with_its_reason_and_the_rest_flow(
    harness: Harness,
) -> None:
    good = widget.effects

    async def fails_on_poison(payload, incoming) -> None:  # type: ignore[no-untyped-def]
        if payload.poison:
            raise ValueError("cannot apply this widget")
        from sqlalchemy import insert

        await incoming.session.execute(insert(good).values(message_id=incoming.envelope.id))

    poison = created(0).model_copy(update={"data": {"poison": True}})
    await harness.broker.publish(CREATED, poison.body(), poison.headers(), timeout=5)
    await harness.broker.publish(CREATED, b"{not json", {"Nats-Msg-Id": "garbage-1"}, timeout=5)
    for n in range(1, 6):
        message = created(n)
        await harness.broker.publish(CREATED, message.body(), message.headers(), timeout=5)
    harness.consumer(fails_on_poison).start()

    await eventually(lambda: _equals(harness.effects(), 5))
    await eventually(lambda: _equals(harness.stream_messages("widgets.dlq.effects"), 2))
    parked = harness.broker.js
    first = await parked.get_last_msg("WIDGETS", "widgets.dlq.effects")
    reasons = {first.headers["Mk-Dead-Letter-Reason"]} if first.headers else set()
    assert any("unparseable" in r or "cannot apply" in r for r in reasons)
    sub = await harness.broker.js.subscribe("widgets.dlq.effects", ordered_consumer=True)
    seen = [await sub.next_msg(timeout=5) for _ in range(2)]
    by_reason = {m.headers["Mk-Dead-Letter-Reason"]: m for m in seen if m.headers}
    failed = next(m for r, m in by_reason.items() if "cannot apply this widget" in r)
    assert "failed 5 times" in failed.headers["Mk-Dead-Letter-Reason"]
    assert failed.headers["Mk-Type"] == "widgets.created"  # original headers kept
    assert failed.headers["Mk-Original-Subject"] == CREATED
    assert any("unparseable envelope" in r for r in by_reason)
    assert await harness.effects() == 5


async def test_concurrent_writers_and_two_relays_deliver_every_row_once(harness: Harness) -> None:
    published: list[str] = []
    real_publish = harness.broker.publish

    async def spy(subject, body, headers, timeout):  # type: ignore[no-untyped-def]
        ack = await real_publish(subject, body, headers, timeout)
        published.append(headers["Nats-Msg-Id"])
        return ack

    harness.broker.publish = spy  # type: ignore[method-assign]
    second_process = Database(harness.url)  # a second relay with its own connection pool
    harness.relay().start()
    harness.relay(second_process).start()
    harness.consumer().start()

    async def writer(w: int) -> None:
        for batch in range(10):
            await harness.write([created(w * 1000 + batch * 5 + i) for i in range(5)])

    await asyncio.gather(*(writer(w) for w in range(8)))
    await eventually(lambda: _equals(harness.effects(), 400), timeout=60)
    await asyncio.sleep(0.5)
    await second_process.dispose()
    assert await harness.undelivered() == 0
    assert len(published) == 400
    assert len(set(published)) == 400, "a row was published twice"
    assert await harness.effects() == 400


async def _publish_backlog(harness: Harness, count: int) -> list[str]:
    ids = []
    for n in range(count):
        message = created(n)
        await harness.broker.publish(CREATED, message.body(), message.headers(), timeout=5)
        ids.append(message.id)
    return ids


async def test_a_backlog_is_applied_in_batches_each_message_once(harness: Harness) -> None:
    await harness.broker.wait_connected(timeout=10)
    await _publish_backlog(harness, 300)
    commits: list[int] = []
    event.listen(harness.database.engine.sync_engine, "commit", lambda _c: commits.append(1))

    harness.consumer().start()

    await eventually(lambda: _equals(harness.effects(), 300), timeout=30)
    await asyncio.sleep(0.3)
    assert await harness.effects() == 300
    assert await harness.distinct_effects() == 300
    # One transaction per message would be 300 commits; a backlog goes in batches.
    assert len(commits) <= 30, f"{len(commits)} transactions for 300 messages"


async def test_a_failure_in_a_batch_keeps_the_others_and_retries_only_the_failing_one(
    harness: Harness,
) -> None:
    await harness.broker.wait_connected(timeout=10)
    ids = await _publish_backlog(harness, 20)
    flaky = ids[7]
    attempts: list[str] = []

    async def fails_twice_on_one(_payload, incoming) -> None:  # type: ignore[no-untyped-def]
        message_id = incoming.envelope.id
        attempts.append(message_id)
        if message_id == flaky and attempts.count(flaky) <= 2:
            raise ConnectionError("a dependency blinked")
        await incoming.session.execute(insert(widget.effects).values(message_id=message_id))

    harness.consumer(fails_twice_on_one).start()

    await eventually(lambda: _equals(harness.effects(), 20), timeout=30)
    await asyncio.sleep(0.5)
    assert await harness.distinct_effects() == 20
    assert await harness.effects() == 20, "a message of the failed batch was applied twice"
    assert attempts.count(flaky) == 3
    assert await harness.stream_messages("widgets.dlq.effects") == 0
