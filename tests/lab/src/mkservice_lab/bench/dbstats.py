"""What the services' databases say after load: saga latencies, outbox lag, inbox times.

The bench reads the tables only, with its own plain engine (no ``BEGIN IMMEDIATE``, so it never
takes SQLite's write lock), and only between load steps or after them. It knows the orders
service's table names (``customer_order``, ``saga_step``) and the chassis's (``outbox_message``,
``processed_message``): a measuring tool's coupling, not a service's.

Timestamps and what they mean:

- ``customer_order.created_at``: taken while ``POST /orders`` runs, before its commit;
- ``saga_step.at`` of the step ``order confirmed``: taken while the payment's reply is handled
  (the saga's pivot), before that commit; so a saga's latency is accepted-to-confirmed within a
  few ms. The stock commit that follows is not in the latency, but a load step counts as
  drained only when every saga has finished, commit included (``checkout_saga.state``);
- ``outbox_message.created_at``: taken when the row is added in the business transaction;
  ``delivered_at``: taken after JetStream acknowledged the publish, when the relay marks it;
- ``processed_message.processed_at``: taken when a consumer starts applying a message.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

_SAGAS = text(
    "SELECT o.status, o.created_at, "
    "MAX(CASE WHEN s.step = 'order' AND s.outcome = 'confirmed' THEN s.at END) "
    "FROM customer_order o "
    "LEFT JOIN saga_step s ON s.order_id = o.id "
    "WHERE o.customer_id = :customer GROUP BY o.id, o.status, o.created_at"
)
_UNFINISHED = text(
    "SELECT COUNT(*) FROM checkout_saga WHERE state NOT IN ('CONFIRMED', 'REJECTED')"
)
_OUTBOX = text("SELECT created_at, delivered_at FROM outbox_message")
_INBOX = text("SELECT consumer, message_id, processed_at FROM processed_message")


def reader(url: str) -> AsyncEngine:
    """A plain engine to read a service's database (SQLite file or PostgreSQL) with."""
    return create_async_engine(url)


def as_utc(value: Any) -> datetime:
    """A timestamp as read back (SQLite text, naive or aware datetime) as an aware UTC one."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if not isinstance(value, datetime):
        raise TypeError(f"not a timestamp: {value!r}")
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def millis(start: datetime, end: datetime) -> float:
    return (end - start).total_seconds() * 1000


@dataclass
class SagaSample:
    """The orders of one load step: their latencies (ms) and how they ended."""

    latencies_ms: list[float] = field(default_factory=list)
    statuses: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.statuses.values())

    @property
    def confirmed(self) -> int:
        return self.statuses.get("CONFIRMED", 0)


async def saga_sample(engine: AsyncEngine, customer_id: str) -> SagaSample:
    """Latency from acceptance to confirmation of every CONFIRMED order of ``customer_id``."""
    sample = SagaSample()
    async with engine.connect() as connection:
        rows = (await connection.execute(_SAGAS, {"customer": customer_id})).all()
    for status, created_at, confirmed_at in rows:
        sample.statuses[status] = sample.statuses.get(status, 0) + 1
        if status == "CONFIRMED" and confirmed_at is not None:
            sample.latencies_ms.append(millis(as_utc(created_at), as_utc(confirmed_at)))
    return sample


async def unfinished_sagas(engine: AsyncEngine) -> int:
    """Sagas still running: orders PENDING, and confirmed ones whose stock is not committed."""
    async with engine.connect() as connection:
        return int((await connection.execute(_UNFINISHED)).scalar_one())


def _within(value: Any, start: datetime, end: datetime) -> datetime | None:
    moment = as_utc(value)
    return moment if start <= moment <= end else None


async def outbox_lags(
    engine: AsyncEngine, start: datetime, end: datetime
) -> tuple[list[float], int]:
    """(lags in ms of rows written between ``start`` and ``end``, how many are undelivered)."""
    lags: list[float] = []
    undelivered = 0
    async with engine.connect() as connection:
        rows = (await connection.execute(_OUTBOX)).all()
    for created_at, delivered_at in rows:
        created = _within(created_at, start, end)
        if created is None:
            continue
        if delivered_at is None:
            undelivered += 1
        else:
            lags.append(millis(created, as_utc(delivered_at)))
    return lags, undelivered


async def inbox_times(
    engine: AsyncEngine, start: datetime, end: datetime
) -> list[tuple[str, str, datetime]]:
    """(consumer, message id, processed_at) of messages applied between ``start`` and ``end``."""
    async with engine.connect() as connection:
        rows = (await connection.execute(_INBOX)).all()
    found = []
    for consumer, message_id, processed_at in rows:
        moment = _within(processed_at, start, end)
        if moment is not None:
            found.append((consumer, message_id, moment))
    return found
