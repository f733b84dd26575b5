"""Replicas of one service on one PostgreSQL database: what they do at once, they do once.

Migrations started together run once; relays draining one outbox publish each row once and keep
each aggregate's order, through a broker restart and a relay cancelled mid-batch; consumers
sharing one durable apply each message once. Each replica is its own engine (and broker
connection) on the same database, as separate processes are (ADR 0020).
"""

from __future__ import annotations

import asyncio
import shutil
import sys
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
import widget
from chassis import Broker, Envelope, Incoming, Subscription, on
from chassis.consumer import Consumer, ConsumerPolicy
from chassis.db import Database
from chassis.inbox import Inbox
from chassis.migrations import head_revision, migration_lock_key, upgrade
from chassis.relay import OutboxRelay
from chassis.testing import NatsServer
from sqlalchemy import func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncConnection
from widget_harness import CREATED, MIGRATIONS, WIDGET_CREATED, Harness, WidgetCreatedV1, eventually

pytestmark = pytest.mark.postgres

REPLICAS = 4
TESTS_DIR = Path(__file__).parent
# A lock the test holds to keep a migration in the middle of its transaction.
GATE_KEY = 20_200_020
GATE_MIGRATION = f'''"""a migration that waits at the test's gate, then records that it ran"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    op.execute("SELECT pg_advisory_xact_lock_shared({GATE_KEY})")
    op.create_table("migration_run", sa.Column("pid", sa.Integer(), nullable=False))
    op.execute("INSERT INTO migration_run (pid) VALUES (pg_backend_pid())")


def downgrade() -> None:
    op.drop_table("migration_run")
'''
# One replica's `migrate`: chassis.migrations.upgrade in a process of its own. `--without-lock`
# takes the lock away, to show what it prevents.
REPLICA_MIGRATE = """
import sys
from pathlib import Path

sys.path.insert(0, sys.argv[3])
import chassis.migrations as migrations

if "--without-lock" in sys.argv:
    async def _nothing(*_args):
        return None

    migrations._lock = migrations._unlock = _nothing
migrations.upgrade(Path(sys.argv[1]), sys.argv[2])
"""


# --- migrations -------------------------------------------------------------------------------
@pytest.fixture
def gated_migrations(tmp_path: Path) -> Path:
    """The widget migrations and a second one that stops at the gate."""
    folder = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS, folder, ignore=shutil.ignore_patterns("__pycache__"))
    (folder / "versions" / "0002_gate.py").write_text(GATE_MIGRATION)
    return folder


@pytest.fixture
async def observer(database_url_for: Callable[[str], str]) -> AsyncIterator[Observer]:
    url = database_url_for("widgets")
    observer = Observer(url)
    async with observer.database.engine.connect() as connection:
        observer.connection = connection
        yield observer
    await observer.database.dispose()


class Observer:
    """A connection of the test's own to the replicas' database: holds the gate, reads pg_locks."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.database = Database(url)
        self.connection: AsyncConnection

    async def close_gate(self) -> None:
        await self.connection.execute(text("SELECT pg_advisory_lock(:k)"), {"k": GATE_KEY})
        await self.connection.commit()

    async def open_gate(self) -> None:
        await self.connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": GATE_KEY})
        await self.connection.commit()

    async def lock_sessions(self, key: int) -> Counter[bool]:
        """How many sessions hold (True) and wait for (False) the advisory lock ``key``."""
        rows = await self.connection.execute(
            text(
                "SELECT granted FROM pg_locks WHERE locktype = 'advisory'"
                " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
                " AND classid::bigint = :high AND objid::bigint = :low AND objsubid = 1"
            ),
            {"high": key >> 32, "low": key & 0xFFFF_FFFF},
        )
        await self.connection.commit()
        return Counter(granted for (granted,) in rows)

    async def wait_for_locks(self, key: int, *, held: int, waiting: int) -> None:
        async def reached() -> bool:
            return await self.lock_sessions(key) == Counter({True: held, False: waiting})

        await eventually(reached, timeout=60)

    async def scalar(self, query: str) -> Any:
        value = (await self.connection.execute(text(query))).scalar_one()
        await self.connection.commit()
        return value


async def _start_replicas(migrations: Path, url: str, *flags: str) -> list[Any]:
    return [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            REPLICA_MIGRATE,
            str(migrations),
            url,
            str(TESTS_DIR),
            *flags,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        for _ in range(REPLICAS)
    ]


async def _exits(replicas: list[Any]) -> list[tuple[int, str]]:
    async with asyncio.timeout(90):
        outputs = [await replica.communicate() for replica in replicas]
    return [
        (replica.returncode, out.decode())
        for replica, (out, _) in zip(replicas, outputs, strict=True)
    ]


async def test_replicas_migrating_a_fresh_database_at_once_run_each_migration_once(
    gated_migrations: Path, observer: Observer
) -> None:
    await observer.close_gate()
    replicas = await _start_replicas(gated_migrations, observer.url)

    # One replica is inside the migrations (stopped at the gate), the others queue on the lock.
    await observer.wait_for_locks(GATE_KEY, held=1, waiting=1)
    await observer.wait_for_locks(migration_lock_key(observer.url), held=1, waiting=REPLICAS - 1)
    await observer.open_gate()

    exits = await _exits(replicas)
    assert [code for code, _ in exits] == [0] * REPLICAS, exits
    assert await observer.scalar("SELECT count(*) FROM migration_run") == 1
    assert await observer.scalar("SELECT count(*) FROM alembic_version") == 1
    assert await observer.scalar("SELECT version_num FROM alembic_version") == head_revision(
        gated_migrations
    )
    assert await observer.lock_sessions(migration_lock_key(observer.url)) == Counter()


async def test_without_the_lock_replicas_race_and_all_but_one_fail(
    gated_migrations: Path, observer: Observer
) -> None:
    await asyncio.to_thread(upgrade, gated_migrations, observer.url, "0001")
    await observer.close_gate()
    replicas = await _start_replicas(gated_migrations, observer.url, "--without-lock")

    # Every replica read revision 0001 and is now running 0002: nothing serialises them.
    await observer.wait_for_locks(GATE_KEY, held=1, waiting=REPLICAS)
    await observer.open_gate()

    exits = await _exits(replicas)
    assert sorted(code == 0 for code, _ in exits) == [False] * (REPLICAS - 1) + [True], exits


# --- relays -----------------------------------------------------------------------------------
AGGREGATES = 10
PER_AGGREGATE = 40


class Replica:
    """What one process of the widget service has for publishing: its engine, its own broker
    connection, its relay; and a record of every publish its relay attempted."""

    def __init__(self, url: str, nats: NatsServer, *, publish_delay_s: float = 0.0) -> None:
        self.database = Database(url)
        self.broker = Broker(nats.url, name="widgets", stream="WIDGETS", subjects=["widgets.>"])
        self.attempts: Counter[str] = Counter()
        self.stored: Counter[str] = Counter()  # acknowledged as new (not a duplicate) by JetStream
        self.published_in_batch = asyncio.Event()
        self.publish_delay_s = publish_delay_s
        real_publish = self.broker.publish

        async def recording(
            subject: str, body: bytes, headers: dict[str, str], timeout: float
        ) -> Any:
            message_id = headers["Nats-Msg-Id"]
            self.attempts[message_id] += 1
            ack = await real_publish(subject, body, headers, timeout)
            if not ack.duplicate:
                self.stored[message_id] += 1
            self.published_in_batch.set()
            await asyncio.sleep(self.publish_delay_s)
            return ack

        self.broker.publish = recording  # type: ignore[method-assign]
        self.relay = self.new_relay()

    def new_relay(self) -> OutboxRelay:
        return OutboxRelay(self.database, widget.tables.outbox, self.broker, poll_interval_s=0.2)

    async def connect(self) -> Replica:
        self.broker.start()
        await self.broker.wait_connected(15)
        return self

    async def close(self) -> None:
        await self.relay.stop()
        await self.broker.close()
        await self.database.dispose()


@pytest.fixture
async def replicas(harness: Harness) -> AsyncIterator[list[Replica]]:
    """Three replicas, connected, their relays not started yet."""
    started = [await Replica(harness.url, harness.nats).connect() for _ in range(3)]
    yield started
    for replica in started:
        await replica.close()


def _event(aggregate: int, n: int) -> Envelope:
    return Envelope(
        type=WIDGET_CREATED.type,
        source="widgets",
        correlation_id=f"aggregate-{aggregate}",
        data={"n": n},
    )


async def _write_each_aggregate_in_order(harness: Harness, pause_s: float = 0.002) -> None:
    """Each aggregate's events committed one after another; the aggregates side by side."""

    async def aggregate_writer(aggregate: int) -> None:
        for n in range(PER_AGGREGATE):
            await harness.write([_event(aggregate, n)])
            await asyncio.sleep(pause_s)

    await asyncio.gather(*(aggregate_writer(a) for a in range(AGGREGATES)))


async def _stream_order(harness: Harness) -> dict[str, list[int]]:
    """Each aggregate's events in the order the stream holds them."""
    total = AGGREGATES * PER_AGGREGATE
    subscription = await harness.broker.js.subscribe(CREATED, ordered_consumer=True)
    order: dict[str, list[int]] = defaultdict(list)
    try:
        for _ in range(total):
            envelope = Envelope.parse((await subscription.next_msg(timeout=10)).data)
            order[envelope.correlation_id].append(envelope.data["n"])
    finally:
        await subscription.unsubscribe()
    return order


async def _effect_order(harness: Harness, ids: dict[str, tuple[str, int]]) -> dict[str, list[int]]:
    """Each aggregate's events in the order the consumer applied them."""
    async with harness.database.sessions() as session:
        applied = await session.execute(
            select(widget.effects.c.message_id).order_by(widget.effects.c.id)
        )
        order: dict[str, list[int]] = defaultdict(list)
        for (message_id,) in applied:
            aggregate, n = ids[message_id]
            order[aggregate].append(n)
    return order


async def _outbox(harness: Harness) -> tuple[dict[str, tuple[str, int]], Counter[int]]:
    """Every row's (aggregate, n) by message id, and how many rows were marked how many times."""
    outbox = widget.tables.outbox
    async with harness.database.sessions() as session:
        rows = (await session.execute(select(outbox.c.body, outbox.c.attempts))).all()
    ids = {}
    for body, _ in rows:
        envelope = Envelope.parse(body.encode())
        ids[envelope.id] = (envelope.correlation_id, envelope.data["n"])
    return ids, Counter(attempts for _, attempts in rows)


async def _all_delivered(harness: Harness) -> bool:
    return (
        await harness.undelivered() == 0 and await harness.effects() == AGGREGATES * PER_AGGREGATE
    )


async def _assert_each_row_once_in_aggregate_order(
    harness: Harness, replicas: list[Replica]
) -> Counter[str]:
    total = AGGREGATES * PER_AGGREGATE
    await eventually(lambda: _all_delivered(harness), timeout=120)
    await asyncio.sleep(0.5)  # room for a late duplicate to show up

    ids, marked = await _outbox(harness)
    assert len(ids) == total
    # Each row was claimed and marked delivered by exactly one relay...
    assert marked == Counter({1: total}), marked
    # ...went into the stream once (no row acknowledged as new twice; a publish cancelled while
    # awaiting its acknowledgement may have been stored unseen), and had one effect...
    stored = sum((replica.stored for replica in replicas), Counter[str]())
    assert set(stored) <= set(ids) and set(stored.values()) == {1}
    assert await harness.stream_messages() == total
    assert await harness.effects() == total
    assert await harness.distinct_effects() == total
    # ...in its aggregate's order, in the stream and as applied.
    in_order = {f"aggregate-{a}": list(range(PER_AGGREGATE)) for a in range(AGGREGATES)}
    assert await _stream_order(harness) == in_order
    assert await _effect_order(harness, ids) == in_order
    return sum((replica.attempts for replica in replicas), Counter[str]())


async def test_competing_relays_publish_each_row_once_in_each_aggregates_order(
    harness: Harness, replicas: list[Replica]
) -> None:
    harness.consumer().start()
    for replica in replicas:
        replica.relay.start()

    await _write_each_aggregate_in_order(harness)

    attempts = await _assert_each_row_once_in_aggregate_order(harness, replicas)
    # No fault: not one row was even attempted twice, the broker's dedupe had nothing to catch.
    assert set(attempts.values()) == {1}
    working = [replica for replica in replicas if replica.attempts]
    assert len(working) >= 2, "one relay did all the work: nothing competed"


async def test_competing_relays_keep_each_row_once_and_in_order_across_a_broker_kill(
    harness: Harness, replicas: list[Replica]
) -> None:
    harness.consumer().start()
    for replica in replicas:
        replica.relay.start()
    writing = asyncio.create_task(_write_each_aggregate_in_order(harness, pause_s=0.01))
    await eventually(lambda: _at_least(harness.effects(), 50), timeout=30)

    harness.nats.kill()
    await asyncio.sleep(1.0)  # writes go on into the outbox meanwhile
    harness.nats.start()
    await writing

    await _assert_each_row_once_in_aggregate_order(harness, replicas)


async def test_a_relay_cancelled_mid_batch_leaves_its_rows_to_the_others(
    harness: Harness, replicas: list[Replica]
) -> None:
    slow, *others = replicas
    slow.publish_delay_s = 0.05  # so that its batch is still going when it is cancelled
    await _write_each_aggregate_in_order(harness, pause_s=0)
    harness.consumer().start()
    slow.relay.start()
    await slow.published_in_batch.wait()
    for replica in others:
        replica.relay.start()  # they skip the rows the slow one holds

    await slow.relay.stop()  # cancelled between publishes: nothing of its batch is marked
    slow.publish_delay_s = 0.0
    slow.relay = slow.new_relay()  # the replica restarts its relay
    slow.relay.start()

    attempts = await _assert_each_row_once_in_aggregate_order(harness, replicas)
    # What the cancelled relay published unmarked went out again, and JetStream dropped it.
    assert max(attempts.values()) == 2


async def _at_least(value: Any, expected: int) -> bool:
    return bool(await value >= expected)


# --- consumers --------------------------------------------------------------------------------
async def test_consumers_sharing_one_durable_on_two_engines_apply_each_message_once(
    harness: Harness,
) -> None:
    """The same message delivered twice (published twice, the broker's dedupe defeated) and
    consumed by two replicas at once still has one effect."""
    second = Database(harness.url)
    second_broker = Broker(
        harness.nats.url, name="widgets", stream="WIDGETS", subjects=["widgets.>"]
    )
    second_broker.start()
    await second_broker.wait_connected(15)
    applied_by: Counter[str] = Counter()

    def consumer(name: str, database: Database, broker: Broker) -> Consumer:
        async def record_effect(_payload: WidgetCreatedV1, incoming: Incoming) -> None:
            applied_by[name] += 1
            await incoming.session.execute(
                insert(widget.effects).values(message_id=incoming.envelope.id)
            )

        subscription = Subscription.of(
            "effects", [on(WIDGET_CREATED, record_effect)], subjects="widgets.evt.>"
        )
        return Consumer(
            subscription,
            service="widgets",
            database=database,
            inbox=Inbox(widget.tables.inbox, database.dialect),
            broker=broker,
            policy=ConsumerPolicy(backoff_s=(0.05, 0.1), max_batch=8),
        )

    consumers = [
        consumer("first", harness.database, harness.broker),
        consumer("second", second, second_broker),
    ]
    for each in consumers:
        each.start()
    try:
        messages = [_event(a, n) for a in range(AGGREGATES) for n in range(20)]
        for envelope in messages:
            headers = envelope.headers()
            del headers["Nats-Msg-Id"]  # only the inbox stands in the way of a second effect
            for _ in range(2):
                await harness.broker.publish(CREATED, envelope.body(), headers, timeout=5)

        await eventually(lambda: _inbox_has(harness, len(messages)), timeout=60)
        await asyncio.sleep(0.5)
        assert await harness.stream_messages() == 2 * len(messages)
        assert await harness.effects() == len(messages)
        assert await harness.distinct_effects() == len(messages)
        assert applied_by["first"] and applied_by["second"], applied_by
    finally:
        for each in consumers:
            await each.stop()
        await second_broker.close()
        await second.dispose()


async def _inbox_has(harness: Harness, count: int) -> bool:
    async with harness.database.sessions() as session:
        query = select(func.count()).select_from(widget.tables.inbox)
        return int((await session.execute(query)).scalar_one()) >= count
