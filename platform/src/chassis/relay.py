"""The outbox relay: publishes committed outbox rows to JetStream, then marks them delivered.

It wakes as soon as a commit added rows (see ``Database.on_outbox_commit``) and polls as a
fallback. Each batch is claimed inside a transaction: on PostgreSQL with ``FOR UPDATE SKIP
LOCKED`` so that two relays never publish the same row at once, on SQLite under the database's
single write lock. Rows are selected by "not delivered", never by a high-water mark, so a row that
commits late is never skipped. Within one aggregate rows go out strictly in order and the
aggregate stops at its first failure; aggregates are published concurrently. While the broker is
down the relay backs off and retries for ever: messages are delayed, never dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from chassis.clock import utcnow
from chassis.db import Database
from chassis.faults import AFTER_COMMIT_BEFORE_PUBLISH, AFTER_PUBLISH_BEFORE_MARK, crash_point
from chassis.messaging import Broker, BrokerUnavailable
from chassis.metrics import ServiceMetrics
from chassis.tasks import cancel_and_wait
from chassis.tracing import publishing
from sqlalchemy import Row, Table, bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

log = logging.getLogger(__name__)

_MAX_BACKOFF_S = 5.0


class OutboxRelay:
    """Moves one service's outbox rows to the broker."""

    def __init__(
        self,
        database: Database,
        table: Table,
        broker: Broker,
        *,
        batch_size: int = 200,
        poll_interval_s: float = 1.0,
        publish_timeout_s: float = 2.0,
        metrics: ServiceMetrics | None = None,
    ) -> None:
        self.database = database
        self.table = table
        self.broker = broker
        self.metrics = metrics or ServiceMetrics()
        self.batch_size = batch_size
        self.poll_interval_s = poll_interval_s
        self.publish_timeout_s = publish_timeout_s
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        # Built once: constructing a statement (and its cache key) costs more than running it.
        t = table
        claim = (
            select(t.c.seq, t.c.subject, t.c.aggregate_key, t.c.headers, t.c.body)
            .where(t.c.delivered_at.is_(None))
            .order_by(t.c.seq)
            .limit(batch_size)
        )
        if database.dialect == "postgresql":
            claim = claim.with_for_update(skip_locked=True)
        self._claim_statement = claim
        self._mark_statement = (
            update(t)
            .where(t.c.seq.in_(bindparam("seqs", expanding=True)))
            .values(delivered_at=bindparam("delivered_at"), attempts=t.c.attempts + 1)
        )
        database.on_outbox_commit(self.wake)

    def wake(self) -> None:
        """Ask the relay to look at the outbox now."""
        self._wakeup.set()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="outbox-relay")

    async def stop(self) -> None:
        await cancel_and_wait(self._task)
        self._task = None

    async def _run(self) -> None:
        backoff = 0.05
        while True:
            try:
                if not self.broker.connected:
                    await self._wait_for(self.broker.wait_connected(), self.poll_interval_s)
                    continue
                more_waiting = await self.relay_once()
                backoff = 0.05
                if not more_waiting:
                    await self._wait_for(self._wakeup.wait(), self.poll_interval_s)
            except asyncio.CancelledError:
                raise
            except Exception as error:  # broker or database trouble: back off, keep every row
                log.warning("outbox relay: %s (retrying in %.2fs)", error, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, _MAX_BACKOFF_S)

    async def _wait_for(self, awaitable: Any, timeout: float) -> None:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                await awaitable
        self._wakeup.clear()

    async def relay_once(self) -> bool:
        """Publish one batch and mark what was published. Returns whether rows may be waiting.

        Raises :class:`BrokerUnavailable` when a row could not be published (after marking the
        ones that were), so the caller backs off before the next try.
        """
        self._wakeup.clear()
        async with self.database.transaction() as session:
            rows = await self._claim(session)
            if not rows:
                return False
            claimed_full_batch = len(rows) == self.batch_size
            rows = await self._in_order_prefix(session, rows)
            crash_point(AFTER_COMMIT_BEFORE_PUBLISH)
            delivered, failure = await self._publish(rows)
            crash_point(AFTER_PUBLISH_BEFORE_MARK)
            if delivered:
                await session.execute(
                    self._mark_statement, {"seqs": delivered, "delivered_at": utcnow()}
                )
        if failure is not None:
            raise failure
        return claimed_full_batch or len(delivered) < len(rows)

    async def _claim(self, session: AsyncSession) -> Sequence[Any]:
        return (await session.execute(self._claim_statement)).all()

    async def _in_order_prefix(
        self, session: AsyncSession, rows: Sequence[Row[Any]]
    ) -> list[Row[Any]]:
        """Keep, per aggregate, only the rows up to the first earlier row we did not claim.

        Another relay may hold an earlier row of the same aggregate (it was locked, so we skipped
        it); publishing ours first would break the aggregate's order.
        """
        if self.database.dialect != "postgresql":
            return list(rows)  # SQLite: the write lock makes this relay the only one
        t = self.table
        claimed = {row.seq for row in rows}
        keys = {row.aggregate_key for row in rows}
        pending = await session.execute(
            select(t.c.aggregate_key, t.c.seq)
            .where(
                t.c.delivered_at.is_(None),
                t.c.aggregate_key.in_(keys),
                t.c.seq <= max(claimed),
            )
            .order_by(t.c.seq)
        )
        blocked: set[str] = set()
        allowed: set[int] = set()
        for key, seq in pending:
            if key in blocked:
                continue
            if seq in claimed:
                allowed.add(seq)
            else:
                blocked.add(key)
        return [row for row in rows if row.seq in allowed]

    async def _publish(self, rows: list[Row[Any]]) -> tuple[list[int], BrokerUnavailable | None]:
        by_aggregate: dict[str, list[Row[Any]]] = defaultdict(list)
        for row in rows:
            by_aggregate[row.aggregate_key].append(row)
        delivered: list[int] = []
        failures: list[BrokerUnavailable] = []

        async def publish_in_order(group: list[Row[Any]]) -> None:
            for row in group:
                headers = json.loads(row.headers)
                started = time.perf_counter()
                try:
                    with publishing(row.subject, headers):
                        await self.broker.publish(
                            row.subject, row.body.encode(), headers, self.publish_timeout_s
                        )
                except BrokerUnavailable as error:
                    self.metrics.relay_publish_failures.inc()
                    failures.append(error)
                    return  # later rows of this aggregate wait for the next round
                self.metrics.relay_publish_duration.observe(time.perf_counter() - started)
                delivered.append(row.seq)

        await asyncio.gather(*(publish_in_order(group) for group in by_aggregate.values()))
        return delivered, (failures[0] if failures else None)

    async def refresh_metrics(self) -> None:
        """Set the outbox gauges from the table: rows pending, and the age of the oldest."""
        t = self.table
        async with self.database.sessions() as session:
            result = await session.execute(
                select(func.count(), func.min(t.c.created_at)).where(t.c.delivered_at.is_(None))
            )
            count, oldest = result.one()
        self.metrics.outbox_pending.set(count)
        age = (utcnow() - oldest).total_seconds() if oldest is not None else 0.0
        self.metrics.outbox_oldest_age.set(max(age, 0.0))

    async def pending_count(self) -> int:
        """Rows not yet delivered (for health and tests)."""
        async with self.database.sessions() as session:
            result = await session.execute(
                select(func.count())
                .select_from(self.table)
                .where(self.table.c.delivered_at.is_(None))
            )
            return int(result.scalar_one())
