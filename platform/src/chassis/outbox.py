"""The transactional outbox: messages are rows written in the same transaction as the change.

``Outbox.add`` only inserts; the :class:`chassis.relay.OutboxRelay` publishes committed rows.
A rolled-back transaction therefore leaves no message, and a committed one always leaves one.
"""

from __future__ import annotations

import json

from chassis.clock import utcnow
from chassis.db import OUTBOX_PENDING
from chassis.envelope import Envelope
from chassis.tracing import carry_context
from sqlalchemy import Table, bindparam, insert, select
from sqlalchemy.ext.asyncio import AsyncSession


class Outbox:
    """Writes outgoing messages into a service's ``outbox_message`` table."""

    def __init__(self, table: Table) -> None:
        self.table = table
        self._insert = insert(table)  # built once; executed with each call's rows
        self._last_headers = (
            select(table.c.headers)
            .where(table.c.aggregate_key == bindparam("key"))
            .order_by(table.c.seq.desc())
            .limit(1)
        )

    async def add(
        self,
        session: AsyncSession,
        subject: str,
        envelope: Envelope,
        *,
        aggregate_key: str | None = None,
    ) -> None:
        """Queue ``envelope`` for ``subject`` inside the session's transaction.

        Messages with the same ``aggregate_key`` (default: the correlation id) are published in
        the order they were added.
        """
        await self.add_many(session, [(subject, envelope)], aggregate_key=aggregate_key)

    async def add_many(
        self,
        session: AsyncSession,
        messages: list[tuple[str, Envelope]],
        *,
        aggregate_key: str | None = None,
    ) -> None:
        """Queue several messages in one round trip, in order."""
        if not messages:
            return
        now = utcnow()
        rows = [
            {
                "message_id": envelope.id,
                "subject": subject,
                "message_type": envelope.type,
                "aggregate_key": aggregate_key or envelope.correlation_id,
                "headers": json.dumps(_headers_of(subject, envelope)),
                "body": envelope.model_dump_json(),
                "created_at": now,
                "attempts": 0,
            }
            for subject, envelope in messages
        ]
        await session.execute(self._insert, rows)
        session.info[OUTBOX_PENDING] = True

    async def last_headers(self, session: AsyncSession, aggregate_key: str) -> dict[str, str]:
        """The headers of the last message queued for ``aggregate_key`` (empty when none is
        kept): where a later step of the same flow finds its trace context."""
        headers = (await session.execute(self._last_headers, {"key": aggregate_key})).scalar()
        return dict(json.loads(headers)) if headers else {}


def _headers_of(subject: str, envelope: Envelope) -> dict[str, str]:
    """The envelope's headers and, when tracing, the trace context of the transaction adding
    it: stored now, since by the time the relay publishes, the request is long gone."""
    headers = envelope.headers()
    carry_context(headers, subject, envelope.id)
    return headers
