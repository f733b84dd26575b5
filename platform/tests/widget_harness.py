"""A harness around the widget test service: its database, a broker, a relay, a consumer."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import widget
from chassis import Broker, Contract, Envelope, Incoming, Subscription, on
from chassis.consumer import Consumer, ConsumerPolicy
from chassis.db import Database
from chassis.inbox import Inbox
from chassis.outbox import Outbox
from chassis.relay import OutboxRelay
from chassis.testing import NatsServer, eventually  # noqa: F401 - re-exported for the tests
from pydantic import BaseModel
from sqlalchemy import func, insert, select

MIGRATIONS = Path(__file__).parent / "widget_migrations"


class WidgetCreatedV1(BaseModel):
    n: int = 0
    poison: bool = False


WIDGET_CREATED = Contract("widgets.evt.created", "widgets.created", WidgetCreatedV1)
CREATED = WIDGET_CREATED.subject


def created(n: int = 0) -> Envelope:
    return Envelope(
        type="widgets.created", source="widgets", correlation_id=f"w-{n}", data={"n": n}
    )


class Harness:
    """Everything one widget service process has, built from a database URL and a broker."""

    def __init__(self, url: str, nats: NatsServer) -> None:
        self.url = url
        self.nats = nats
        self.database = Database(url)
        self.outbox = Outbox(widget.tables.outbox)
        self.inbox = Inbox(widget.tables.inbox, self.database.dialect)
        self.broker = Broker(nats.url, name="widgets", stream="WIDGETS", subjects=["widgets.>"])
        self.relays: list[OutboxRelay] = []
        self.consumers: list[Consumer] = []

    def relay(self, database: Database | None = None) -> OutboxRelay:
        relay = OutboxRelay(
            database or self.database, widget.tables.outbox, self.broker, poll_interval_s=0.2
        )
        self.relays.append(relay)
        return relay

    def consumer(
        self, handler: Callable[..., object] | None = None, policy: ConsumerPolicy | None = None
    ) -> Consumer:
        async def record_effect(_payload: WidgetCreatedV1, incoming: Incoming) -> None:
            await incoming.session.execute(
                insert(widget.effects).values(message_id=incoming.envelope.id)
            )

        subscription = Subscription.of(
            "effects",
            [on(WIDGET_CREATED, handler or record_effect)],  # type: ignore[arg-type]
            subjects="widgets.evt.>",
        )
        consumer = Consumer(
            subscription,
            service="widgets",
            database=self.database,
            inbox=self.inbox,
            broker=self.broker,
            policy=policy or ConsumerPolicy(backoff_s=(0.05, 0.1)),
        )
        self.consumers.append(consumer)
        return consumer

    async def write(self, envelopes: list[Envelope]) -> None:
        async with self.database.transaction() as session:
            await self.outbox.add_many(session, [(CREATED, e) for e in envelopes])

    async def count(self, table: object, *where: object) -> int:
        async with self.database.sessions() as session:
            query = select(func.count()).select_from(table)  # type: ignore[arg-type]
            for clause in where:
                query = query.where(clause)  # type: ignore[arg-type]
            return int((await session.execute(query)).scalar_one())

    async def effects(self) -> int:
        return await self.count(widget.effects)

    async def distinct_effects(self) -> int:
        """How many different messages had an effect."""
        async with self.database.sessions() as session:
            query = select(func.count(widget.effects.c.message_id.distinct()))
            return int((await session.execute(query)).scalar_one())

    async def undelivered(self) -> int:
        return await self.count(widget.tables.outbox, widget.tables.outbox.c.delivered_at.is_(None))

    async def stream_messages(self, subject: str = CREATED) -> int:
        info = await self.broker.js.stream_info("WIDGETS", subjects_filter=subject)
        return int((info.state.subjects or {}).get(subject, 0))

    async def close(self) -> None:
        for part in [*self.consumers, *self.relays]:
            await part.stop()
        await self.broker.close()
        await self.database.dispose()
