"""The running parts of one service: database, broker, outbox relay and consumers.

A service's composition root (``bootstrap.py``) builds a :class:`ServiceRuntime` from its
settings, adds its subscriptions and background loops, and hands it to
:func:`chassis.app.create_service_app`, whose lifespan starts and stops it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from chassis import faults, naming
from chassis.clock import Clock, utcnow
from chassis.consumer import Consumer, ConsumerPolicy, Subscription
from chassis.db import Database
from chassis.housekeeping import Housekeeping
from chassis.inbox import Inbox
from chassis.messaging import Broker
from chassis.metrics import ServiceMetrics
from chassis.migrations import current_revision, head_revision
from chassis.outbox import Outbox
from chassis.periodic import Periodic, Step
from chassis.relay import OutboxRelay
from chassis.settings import ServiceSettings
from chassis.tables import MessagingTables
from chassis.tracing import trace_database


@dataclass(frozen=True)
class Readiness:
    """Ready means: own database reachable and migrated. The broker only makes it degraded."""

    ready: bool
    database: str
    migrations: str
    broker: str

    @property
    def status(self) -> str:
        if not self.ready:
            return "not-ready"
        return "ready" if self.broker == "connected" else "degraded"


class ServiceRuntime:
    """Owns and runs one service's infrastructure."""

    def __init__(
        self,
        settings: ServiceSettings,
        tables: MessagingTables,
        migrations_dir: Path,
        *,
        clock: Clock = utcnow,
    ) -> None:
        self.settings = settings
        self.service = settings.service_name
        self.migrations_dir = migrations_dir
        self.clock = clock
        self.database = Database(settings.database_url)
        if settings.trace_database:
            trace_database(self.database.engine)
        self.broker = Broker(
            settings.nats_url,
            name=self.service,
            stream=settings.stream_name,
            subjects=naming.stream_subjects(self.service),
            user=settings.nats_user,
            password=settings.nats_password,
            replicas=settings.stream_replicas,
            setting=settings.env_name("nats_url"),
            replicas_setting=settings.env_name("stream_replicas"),
        )
        self.metrics = ServiceMetrics()
        self.outbox = Outbox(tables.outbox)
        self.inbox = Inbox(tables.inbox, self.database.dialect)
        self.relay = OutboxRelay(
            self.database,
            tables.outbox,
            self.broker,
            batch_size=settings.relay_batch_size,
            poll_interval_s=settings.relay_poll_interval_s,
            publish_timeout_s=settings.publish_timeout_s,
            metrics=self.metrics,
        )
        self.metrics.refresh_with(self.relay.refresh_metrics)
        self.metrics.refresh_with(self._refresh_pool_metrics)
        self.consumer_policy = ConsumerPolicy(
            ack_wait_s=settings.consumer_ack_wait_s,
            max_deliver=settings.consumer_max_deliver,
            backoff_s=settings.consumer_backoff_s,
            max_message_bytes=settings.max_message_bytes,
        )
        self.consumers: list[Consumer] = []
        self.housekeeping = Housekeeping(
            self.database, tables, timedelta(seconds=settings.message_retention_s)
        )
        self.loops: list[Periodic] = []
        self.every(
            settings.housekeeping_interval_s,
            lambda: self.housekeeping.prune(self.clock()),
            name=f"{self.service}-housekeeping",
        )
        self._head: str | None = None

    def subscribe(self, subscription: Subscription) -> Consumer:
        """Add a durable consumer, started with the runtime."""
        consumer = Consumer(
            subscription,
            service=self.service,
            database=self.database,
            inbox=self.inbox,
            broker=self.broker,
            policy=self.consumer_policy,
            metrics=self.metrics,
        )
        self.metrics.refresh_with(consumer.refresh_metrics)
        self.consumers.append(consumer)
        return consumer

    async def _refresh_pool_metrics(self) -> None:
        checked_out = getattr(self.database.engine.pool, "checkedout", None)
        if checked_out is not None:
            self.metrics.db_pool_in_use.set(checked_out())

    def every(self, interval_s: float, step: Step, *, name: str) -> Periodic:
        """Run ``step()`` every ``interval_s`` seconds while the service runs (a sweeper, say);
        a step that raises is logged and tried again next round."""
        loop = Periodic(name, interval_s, step)
        self.loops.append(loop)
        return loop

    async def start(self) -> None:
        faults.arm(self.settings.crash_points)
        faults.fail_message_types(self.settings.failing_message_types)
        self.broker.start()
        self.relay.start()
        for consumer in self.consumers:
            consumer.start()
        for loop in self.loops:
            loop.start()

    async def stop(self) -> None:
        for loop in self.loops:
            await loop.stop()
        for consumer in self.consumers:
            await consumer.stop()
        await self.relay.stop()
        await self.broker.close()
        await self.database.dispose()

    async def readiness(self) -> Readiness:
        try:
            current = await current_revision(self.database.engine)
        except Exception as error:
            return Readiness(False, f"unreachable: {error.__class__.__name__}", "unknown", "-")
        if self._head is None:
            self._head = head_revision(self.migrations_dir)
        head = self._head
        migrated = current == head
        migrations = "at head" if migrated else f"at {current or 'none'}, head is {head}"
        broker = "connected" if self.broker.connected else "disconnected"
        return Readiness(migrated, "reachable", migrations, broker)
