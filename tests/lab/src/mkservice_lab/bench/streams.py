"""When each message was stored in JetStream: the start of the consumer lag.

After a load phase the bench reads the services' streams from the phase's start (headers only,
with an ephemeral consumer that acknowledges nothing and is gone afterwards) and maps each
message's ``Nats-Msg-Id`` (the envelope id, which the inbox records) to the time the stream
stored it. Consumer lag is then the inbox's ``processed_at`` minus that time.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import nats
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import NotFoundError

MSG_ID_HEADER = "Nats-Msg-Id"


async def stored_times(
    nats_url: str, streams: Mapping[str, str], since: datetime, *, batch: int = 500
) -> dict[str, datetime]:
    """Envelope id -> time stored, for messages stored at or after ``since`` in ``streams``
    (stream name -> its subjects, e.g. ``{"INVENTORY": "inventory.>"}``). ``nats_url`` may list
    every node of a cluster, comma-separated."""
    servers = [server.strip() for server in nats_url.split(",") if server.strip()]
    connection = await nats.connect(servers=servers)
    found: dict[str, datetime] = {}
    try:
        js = connection.jetstream()
        for stream, subjects in streams.items():
            try:
                await js.stream_info(stream)
            except NotFoundError:
                continue
            config = ConsumerConfig(
                ack_policy=AckPolicy.NONE,
                deliver_policy=DeliverPolicy.BY_START_TIME,
                opt_start_time=since,
                headers_only=True,
                inactive_threshold=30.0,
            )
            subscription = await js.pull_subscribe(subjects, stream=stream, config=config)
            while True:
                try:
                    messages = await subscription.fetch(batch, timeout=1.0)
                except TimeoutError:
                    break
                for message in messages:
                    message_id = (message.headers or {}).get(MSG_ID_HEADER)
                    if message_id:
                        found[message_id] = message.metadata.timestamp
                if messages and messages[-1].metadata.num_pending == 0:
                    break
            await subscription.unsubscribe()
    finally:
        await connection.close()
    return found
