"""The idempotent inbox: a consumer records each message id in the transaction of its effects.

The composite primary key ``(consumer, message_id)`` makes the record atomic: an insert that
conflicts means the message was already applied, so the consumer acknowledges and does nothing.
"""

from __future__ import annotations

from datetime import datetime

from chassis.clock import utcnow
from sqlalchemy import Table, delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession


class Inbox:
    """Records which messages each consumer of a service has applied."""

    def __init__(self, table: Table, dialect: str) -> None:
        """``dialect`` is the database's (``Database.dialect``): the insert that ignores a
        conflict is spelled per dialect, and is built once."""
        self.table = table
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        self._record = insert(table).on_conflict_do_nothing()

    async def record(self, session: AsyncSession, consumer: str, message_id: str) -> bool:
        """Record ``message_id`` for ``consumer``; False when it was already recorded."""
        values = {"consumer": consumer, "message_id": message_id, "processed_at": utcnow()}
        result = await session.execute(self._record, values)
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def prune(self, session: AsyncSession, older_than: datetime) -> int:
        """Forget records older than ``older_than`` (far beyond any redelivery)."""
        result = await session.execute(
            delete(self.table).where(self.table.c.processed_at < older_than)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]
