"""The outbox drain rate: the chassis's own ``OutboxRelay`` publishing a backlog of rows.

A fresh database (same engine setup as a service) gets ``rows`` outbox rows, one aggregate each
(as in the checkout, where every order is its own aggregate); the relay then publishes them to
JetStream and marks them delivered, batch after batch, until none is pending. Divided by the
concurrent publish floor, it says how much of the broker's speed the relay turns into delivery.
"""

from __future__ import annotations

import time
import uuid

from chassis.db import Database
from chassis.envelope import Envelope
from chassis.messaging import Broker
from chassis.outbox import Outbox
from chassis.relay import OutboxRelay
from chassis.tables import add_messaging_tables
from sqlalchemy import MetaData

from mkservice_lab.bench.stats import rate

STREAM = "BENCHRELAY"
SUBJECT = "benchrelay.cmd.reserve-stock"


def _envelope(index: int) -> Envelope:
    order_id = str(uuid.uuid4())
    data = {"order_id": order_id, "lines": [{"sku": f"sku-{index % 8}", "quantity": 1}]}
    return Envelope(
        type="inventory.reserve-stock", source="orders", correlation_id=order_id, data=data
    )


async def measure_drain(database_url: str, nats_url: str, rows: int) -> float | None:
    """Rows per second the relay moves from the outbox to JetStream (publish, ack, mark)."""
    metadata = MetaData()
    tables = add_messaging_tables(metadata)
    database = Database(database_url)
    broker = Broker(nats_url, name="bench-relay", stream=STREAM, subjects=["benchrelay.>"])
    try:
        async with database.engine.begin() as connection:
            await connection.run_sync(metadata.create_all)
        outbox = Outbox(tables.outbox)
        for start in range(0, rows, 500):
            async with database.transaction() as session:
                for index in range(start, min(start + 500, rows)):
                    envelope = _envelope(index)
                    await outbox.add(session, SUBJECT, envelope, aggregate_key=envelope.id)
        broker.start()
        await broker.wait_connected(timeout=15)
        relay = OutboxRelay(database, tables.outbox, broker)
        started = time.perf_counter()
        while await relay.relay_once():
            pass
        elapsed = time.perf_counter() - started
        pending = await relay.pending_count()
        if pending:
            raise RuntimeError(f"the relay left {pending} rows pending")
        await broker.js.delete_stream(STREAM)
        return rate(rows, elapsed)
    finally:
        await broker.close()
        await database.dispose()
