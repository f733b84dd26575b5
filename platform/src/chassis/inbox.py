"""The idempotent inbox: a consumer records each message id in the transaction of its effects.

The composite primary key ``(consumer, message_id)`` makes the record atomic: an insert that
conflicts means the message was already applied, so the consumer acknowledges and does nothing.
"""

from __future__ import annotations

from datetime import datetime

from chassis.envelope import utcnow
from sqlalchemy import Table, delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession


class Inbox:
    """Records which messages each consumer of a service has applied."""

    def __init__(self, table: Table) -> None:
        self.table = table
        # Built once per dialect: constructing a statement costs more than running it.
        self._record_statements = {
            name: dialect.insert(table).on_conflict_do_nothing()
            for name, dialect in (("postgresql", postgresql), ("sqlite", sqlite))
        }

    async def record(self, session: AsyncSession, consumer: str, message_id: str) -> bool:
        """Record ``message_id`` for ``consumer``; False when it was already recorded."""
        dialect = session.get_bind().dialect.name
        statement = self._record_statements["postgresql" if dialect == "postgresql" else "sqlite"]
        values = {"consumer": consumer, "message_id": message_id, "processed_at": utcnow()}
        result = await session.execute(statement, values)
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def prune(self, session: AsyncSession, older_than: datetime) -> int:
        """Forget records older than ``older_than`` (far beyond any redelivery)."""
        result = await session.execute(
            delete(self.table).where(self.table.c.processed_at < older_than)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]
