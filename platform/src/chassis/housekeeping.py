"""Housekeeping: forget delivered outbox rows and inbox records once they can matter no more.

Without it ``outbox_message`` and ``processed_message`` grow for ever. A delivered outbox row is
only history; an inbox record must outlive every redelivery of its message (JetStream's redeliveries
come within minutes, see ``ConsumerPolicy``), so the retention (``<PREFIX>MESSAGE_RETENTION_S``,
a day by default) is far longer than that: a redelivery inside the window is still caught.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from chassis.db import Database
from chassis.tables import MessagingTables
from sqlalchemy import bindparam, delete


@dataclass(frozen=True)
class Pruned:
    """How many rows one round removed."""

    outbox: int
    inbox: int


class Housekeeping:
    """Prunes one service's outbox and inbox tables."""

    def __init__(self, database: Database, tables: MessagingTables, retention: timedelta) -> None:
        self.database = database
        self.retention = retention
        outbox, inbox = tables.outbox, tables.inbox
        self._delivered_before = delete(outbox).where(
            outbox.c.delivered_at.is_not(None), outbox.c.delivered_at < bindparam("cutoff")
        )
        self._processed_before = delete(inbox).where(inbox.c.processed_at < bindparam("cutoff"))

    async def prune(self, now: datetime) -> Pruned:
        """Delete what is older than the retention at ``now``: delivered outbox rows (never a
        pending one, whatever its age) and inbox records."""
        cutoff = {"cutoff": now - self.retention}
        async with self.database.transaction() as session:
            outbox = await session.execute(self._delivered_before, cutoff)
            inbox = await session.execute(self._processed_before, cutoff)
        return Pruned(outbox=outbox.rowcount, inbox=inbox.rowcount)  # type: ignore[attr-defined]
