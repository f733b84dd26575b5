"""``chassis.db.Database`` against a real database (SQLite or PostgreSQL)."""

from __future__ import annotations

import asyncio

import widget
from sqlalchemy import func, select
from widget_harness import CREATED, Harness, created


async def test_a_snapshot_reads_the_last_commit_without_waiting_for_a_writer(
    harness: Harness,
) -> None:
    await harness.write([created(1)])
    count = select(func.count()).select_from(widget.tables.outbox)

    async with harness.database.transaction() as session:
        await harness.outbox.add(session, CREATED, created(2))  # written, not committed
        async with asyncio.timeout(5), harness.database.snapshot() as connection:
            seen = (await connection.execute(count)).scalar_one()

    assert seen == 1
    assert await harness.undelivered() == 2
