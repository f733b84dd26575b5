"""Outbox lag and consumer lag over a time window, from the services' databases and streams.

- **Outbox lag** (per service): ``delivered_at - created_at`` of each outbox row written in the
  window: from the row's insertion in the business transaction (just before its commit) to the
  relay marking it delivered, which it does once JetStream acknowledged the publish. That is
  the relay's commit-to-ack lag plus the rest of the business transaction (a few ms at most).
- **Consumer lag** (per durable consumer): ``processed_at - stored`` of each message applied in
  the window: from the moment the stream stored it to the moment the consumer started applying
  it (pull, parse, route). It does not include the handler's transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from mkservice_lab.bench import dbstats
from mkservice_lab.bench.rig import Rig
from mkservice_lab.bench.streams import stored_times


@dataclass
class Lags:
    """Lags in ms: outbox per service, consumer per durable consumer; rows not yet delivered."""

    outbox_ms: dict[str, list[float]] = field(default_factory=dict)
    consumer_ms: dict[str, list[float]] = field(default_factory=dict)
    undelivered: int = 0
    unmatched: int = 0  # inbox records whose message was not found in a stream

    def all_outbox(self) -> list[float]:
        return [lag for lags in self.outbox_ms.values() for lag in lags]

    def all_consumer(self) -> list[float]:
        return [lag for lags in self.consumer_ms.values() for lag in lags]


async def measure_lags(rig: Rig, start: datetime, end: datetime) -> Lags:
    """The lags of everything written (outbox) or applied (inbox) between ``start`` and ``end``."""
    lags = Lags()
    stored = await stored_times(rig.nats_url, rig.streams, start - timedelta(seconds=5))
    for service, url in sorted(rig.database_urls.items()):
        engine = dbstats.reader(url)
        try:
            outbox, undelivered = await dbstats.outbox_lags(engine, start, end)
            lags.outbox_ms[service] = outbox
            lags.undelivered += undelivered
            for consumer, message_id, processed_at in await dbstats.inbox_times(engine, start, end):
                at = stored.get(message_id)
                if at is None:
                    lags.unmatched += 1
                    continue
                lags.consumer_ms.setdefault(consumer, []).append(dbstats.millis(at, processed_at))
        finally:
            await engine.dispose()
    return lags
