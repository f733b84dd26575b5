"""Message faults: duplicated, delayed and reordered deliveries.

A recorder (the operator's NATS connection) keeps the recent commands and replies the services
exchange. A duplicate episode re-publishes a random handful of them into JetStream, each after
its own random delay (so they arrive late and out of order), with a fresh ``Nats-Msg-Id`` so the
stream cannot drop them as duplicates. Most are exact copies (same envelope id: the consumers'
inboxes must ignore them); a quarter get a fresh envelope id too, like a retry by the sender
(the handlers must be idempotent by order id).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import uuid
from collections import deque
from dataclasses import dataclass

import nats
from nats.aio.client import Client
from nats.aio.msg import Msg

from mkservice_lab.chaos.injectors import FaultLog, FaultRecord
from mkservice_lab.chaos.pacing import Pacer
from mkservice_lab.chaos.scenario import Episode

log = logging.getLogger(__name__)

RECORDED_SUBJECTS = ("inventory.cmd.>", "inventory.evt.>", "payments.cmd.>", "payments.evt.>")


@dataclass(frozen=True)
class Recorded:
    subject: str
    body: bytes
    headers: dict[str, str]


class MessageFaults:
    """Records traffic and runs the message-fault lane."""

    def __init__(
        self, url: str, user: str, password: str, pacer: Pacer, faults: FaultLog, seed: int
    ) -> None:
        self.url, self.user, self.password = url, user, password
        self.pacer = pacer
        self.faults = faults
        self.rng = random.Random(seed * 7919 + 1)
        self.recent: deque[Recorded] = deque(maxlen=5000)
        self.published = 0
        self.fresh_ids = 0
        self._nc: Client | None = None
        self._pending: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        async def quiet(*_args: object) -> None:
            """The broker going away is the point of the exercise, not news."""

        self._nc = await nats.connect(
            self.url.split(","), user=self.user, password=self.password, name="chaos-recorder",
            max_reconnect_attempts=-1, reconnect_time_wait=0.5, allow_reconnect=True,
            error_cb=quiet, disconnected_cb=quiet, reconnected_cb=quiet,
        )  # fmt: skip
        for subject in RECORDED_SUBJECTS:
            await self._nc.subscribe(subject, cb=self._record)

    async def _record(self, message: Msg) -> None:
        headers = dict(message.headers or {})
        self.recent.append(Recorded(message.subject, message.data, headers))

    async def run(self, episodes: list[Episode]) -> None:
        for episode in episodes:
            await self.pacer.wait_progress(episode.gate)
            if self.pacer.abandoned:
                return
            await asyncio.sleep(episode.delay_s)
            chosen = self._choose(episode.count)
            record = FaultRecord(
                episode.number, "duplicate", "", f"{len(chosen)} messages",
                self.pacer.elapsed(), injected=bool(chosen),
            )  # fmt: skip
            self.faults.records.append(record)
            for message in chosen:
                delay = self.rng.uniform(0, episode.duration_s)
                fresh = self.rng.random() < 0.25
                task = asyncio.create_task(self._republish(message, delay, fresh, record))
                self._pending.add(task)
                task.add_done_callback(self._pending.discard)
            record.ended_s = self.pacer.elapsed()

    def _choose(self, count: int) -> list[Recorded]:
        """Half from the latest messages (sagas in flight), half from anywhere (old ones)."""
        pool = list(self.recent)
        if not pool:
            return []
        latest = pool[-200:]
        return [
            self.rng.choice(latest if i % 2 == 0 else pool) for i in range(min(count, len(pool)))
        ]

    async def _republish(
        self, message: Recorded, delay: float, fresh: bool, record: FaultRecord
    ) -> None:
        await asyncio.sleep(delay)
        body, headers = message.body, dict(message.headers)
        headers["Nats-Msg-Id"] = str(uuid.uuid4())
        if fresh:
            with contextlib.suppress(ValueError, TypeError):
                envelope = json.loads(body)
                envelope["id"] = headers["Nats-Msg-Id"]
                body = json.dumps(envelope).encode()
        assert self._nc is not None
        for _ in range(120):  # the broker may be down: keep trying for a while
            try:
                await self._nc.jetstream().publish(
                    message.subject, body, headers=headers, timeout=2
                )
            except Exception:
                await asyncio.sleep(1.0)
                continue
            self.published += 1
            self.fresh_ids += fresh
            record.ended_s = max(record.ended_s, self.pacer.elapsed())
            return
        log.warning("gave up re-publishing a message on %s", message.subject)

    async def drain(self) -> None:
        """Wait for every scheduled re-publication."""
        while self._pending:
            await asyncio.gather(*list(self._pending), return_exceptions=True)

    async def dead_letters(self, streams: list[str]) -> dict[str, int]:
        """Messages parked on ``<service>.dlq.>`` per stream (none is expected in a run)."""
        assert self._nc is not None
        js = self._nc.jetstream()
        parked: dict[str, int] = {}
        for stream in streams:
            try:
                info = await js.stream_info(stream, subjects_filter=f"{stream.lower()}.dlq.>")
            except Exception as error:
                log.warning("cannot read stream %s: %r", stream, error)
                continue
            parked[stream] = sum((info.state.subjects or {}).values())
        return parked

    async def backlog(self, streams: list[str]) -> int | None:
        """Messages the durable consumers have not acknowledged yet; None if unknown."""
        assert self._nc is not None
        total = 0
        try:
            for stream in streams:
                for consumer in await self._nc.jetstream().consumers_info(stream):
                    total += consumer.num_pending or 0
                    total += consumer.num_ack_pending or 0
        except Exception:
            return None
        return total

    async def close(self) -> None:
        for task in list(self._pending):
            task.cancel()
        if self._nc is not None:
            with contextlib.suppress(Exception):
                await self._nc.close()
