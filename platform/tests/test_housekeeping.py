"""Housekeeping against a real database and broker: old outbox and inbox rows go, recent ones
stay, so a redelivery inside the retention window is still recognised as a duplicate."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import widget
from chassis.clock import utcnow
from chassis.housekeeping import Housekeeping
from sqlalchemy import update
from widget_harness import CREATED, Harness, created, eventually

RETENTION = timedelta(hours=1)


async def _equals(value: object, expected: int) -> bool:
    return await value == expected  # type: ignore[misc]


async def test_prunes_old_delivered_messages_and_inbox_records_but_keeps_recent_ones(
    harness: Harness,
) -> None:
    harness.relay().start()
    harness.consumer().start()
    messages = [created(n) for n in range(4)]
    await harness.write(messages)
    await eventually(lambda: _equals(harness.effects(), 4))
    await eventually(lambda: _equals(harness.undelivered(), 0))
    await harness.write([created(99)])  # pending for ever: the relay is stopped before it goes
    for relay in harness.relays:
        await relay.stop()
    outbox, inbox = widget.tables.outbox, widget.tables.inbox
    async with harness.database.transaction() as session:
        # Two of the delivered messages, and the pending one, are now two hours old.
        old = utcnow() - 2 * RETENTION
        await session.execute(
            update(outbox)
            .where(outbox.c.message_id.in_([messages[0].id, messages[1].id]))
            .values(delivered_at=old, created_at=old)
        )
        await session.execute(
            update(outbox).where(outbox.c.delivered_at.is_(None)).values(created_at=old)
        )
        await session.execute(
            update(inbox)
            .where(inbox.c.message_id.in_([messages[0].id, messages[1].id]))
            .values(processed_at=old)
        )

    pruned = await Housekeeping(harness.database, widget.tables, RETENTION).prune(utcnow())

    assert (pruned.outbox, pruned.inbox) == (2, 2)
    assert await harness.count(outbox) == 3, "the recent rows and the pending one stay"
    assert await harness.undelivered() == 1, "a message not yet delivered is never pruned"
    assert await harness.count(inbox) == 2


async def test_a_redelivery_inside_the_retention_window_is_still_a_duplicate(
    harness: Harness,
) -> None:
    harness.consumer().start()
    message = created(7)
    await harness.broker.publish(CREATED, message.body(), message.headers(), timeout=5)
    await eventually(lambda: _equals(harness.effects(), 1))

    await Housekeeping(harness.database, widget.tables, RETENTION).prune(utcnow())
    # The same message again, past the broker's own dedupe (no message id header this time).
    headers = {k: v for k, v in message.headers().items() if k != "Nats-Msg-Id"}
    await harness.broker.publish(CREATED, message.body(), headers, timeout=5)
    await asyncio.sleep(1.0)

    assert await harness.effects() == 1


async def test_a_running_service_prunes_on_its_own_schedule(harness: Harness) -> None:
    from chassis.runtime import ServiceRuntime
    from chassis.settings import ServiceSettings
    from sqlalchemy import insert
    from widget_harness import MIGRATIONS

    inbox = widget.tables.inbox
    async with harness.database.transaction() as session:
        old = utcnow() - timedelta(days=2)
        await session.execute(
            insert(inbox).values(consumer="widgets-x", message_id="m-old", processed_at=old)
        )
        await session.execute(
            insert(inbox).values(consumer="widgets-x", message_id="m-new", processed_at=utcnow())
        )
    settings = ServiceSettings(
        database_url=harness.url, nats_url=harness.nats.url, housekeeping_interval_s=0.1
    )
    runtime = ServiceRuntime(settings, widget.tables, MIGRATIONS)
    await runtime.start()
    try:
        await eventually(lambda: _equals(harness.count(inbox), 1))
    finally:
        await runtime.stop()
    assert await harness.count(inbox, inbox.c.message_id == "m-new") == 1
