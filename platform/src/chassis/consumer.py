"""Durable JetStream pull consumers that apply each message exactly once to the database.

For every message: parse the envelope, find the route for its type and version, then in ONE
transaction record it in the inbox and run the handler; acknowledge only after that commit. A
duplicate (already in the inbox) is acknowledged and changes nothing. A message larger than
``max_message_bytes``, or that cannot be parsed, has an unknown type or an unsupported version,
is parked at once; one whose handler keeps failing is parked when its delivery count reaches
``max_deliver``. Parking publishes it, with the reason and its original headers, to
``<service>.dlq.<consumer>`` and acknowledges it, so the messages behind it flow on.

Under load the consumer applies a backlog in batches: the messages already waiting are pulled
together and applied in one transaction, one after the other, then acknowledged together. If any
of them fails, the batch's transaction is rolled back and each message is applied in its own
transaction as above, so a failing message is retried or parked alone. See ADR 0011.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from chassis import naming
from chassis.contracts import Contract
from chassis.db import Database
from chassis.envelope import Envelope
from chassis.faults import AFTER_EFFECT_BEFORE_ACK, crash_point, failing_message
from chassis.inbox import Inbox
from chassis.logs import message_context
from chassis.messaging import Broker
from chassis.metrics import ServiceMetrics
from chassis.tasks import cancel_and_wait
from chassis.tracing import processing
from nats.aio.msg import Msg
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import NotFoundError
from pydantic import BaseModel, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

log = logging.getLogger(__name__)

Handler = Callable[[Envelope, AsyncSession], Awaitable[None]]

DEAD_LETTER_REASON_HEADER = "Mk-Dead-Letter-Reason"
DEAD_LETTER_CONSUMER_HEADER = "Mk-Dead-Letter-Consumer"
ORIGINAL_SUBJECT_HEADER = "Mk-Original-Subject"

# The server redelivers a few times past our park threshold, so a park that failed (broker
# hiccup) is tried again rather than the message being silently given up by the server.
_PARK_GRACE_DELIVERIES = 3
_ANSWER_TIMEOUT_S = 5.0
# The pull of a backlog asks only for messages already stored, so the server answers at once;
# this only bounds a pull whose messages another instance of the service took meanwhile.
_BACKLOG_PULL_TIMEOUT_S = 0.05


@dataclass(frozen=True)
class Route:
    """A message type a consumer handles, the schema versions it accepts, and its handler.

    Build one from a contract with :func:`on`; the contract gives the type, the version, the
    subject and the stream.
    """

    type: str
    handler: Handler
    versions: frozenset[int] = frozenset({1})
    subject: str | None = None
    stream: str | None = None


@dataclass(frozen=True)
class Incoming:
    """A message being applied: its envelope and the transaction its effects go into."""

    envelope: Envelope
    session: AsyncSession


P = TypeVar("P", bound=BaseModel)
MessageHandler = Callable[[P, Incoming], Awaitable[None]]
"""``async handler(payload, incoming)``: the parsed payload and the message it came in."""


def on(contract: Contract[P], handler: MessageHandler[P]) -> Route:
    """Route messages of ``contract`` (its type and version, on its subject) to ``handler``.

    The payload is parsed with the contract's model first; one that breaks the contract is
    parked at once (no retry can fix it).
    """

    async def handle(envelope: Envelope, session: AsyncSession) -> None:
        await handler(contract.parse(envelope), Incoming(envelope, session))

    return Route(
        contract.type,
        handle,
        frozenset({contract.version}),
        subject=contract.subject,
        stream=contract.stream,
    )


@dataclass
class Subscription:
    """What one durable consumer reads: subjects of one stream (another service's, or its own).

    Name the exact subjects it handles, so that anything else arriving there (an unknown type,
    a version it does not speak) is a poison message to park, not noise to skip.
    """

    name: str
    stream: str
    subjects: tuple[str, ...]
    routes: dict[str, Route] = field(default_factory=dict)

    @classmethod
    def of(
        cls, name: str, routes: Iterable[Route], *, subjects: str | Iterable[str] | None = None
    ) -> Subscription:
        """A durable consumer ``name`` of ``routes`` (made with :func:`on`).

        The stream is the one the routes' contracts live in (they must share it); the subjects
        are theirs, unless ``subjects`` widens them (``inventory.cmd.>``, so that a command
        nobody handles is parked instead of lying unread).
        """
        routes = list(routes)
        streams = {route.stream for route in routes}
        if len(streams) != 1 or None in streams:
            raise ValueError(
                f"the routes of consumer {name!r} must come from one stream, not {streams}"
            )
        if subjects is None:
            subjects = [route.subject for route in routes if route.subject is not None]
        subjects = (subjects,) if isinstance(subjects, str) else tuple(subjects)
        [stream] = streams
        assert stream is not None
        return cls(name, stream, subjects, {route.type: route for route in routes})


@dataclass(frozen=True)
class ConsumerPolicy:
    ack_wait_s: float = 30.0
    max_deliver: int = 5
    backoff_s: tuple[float, ...] = (0.2, 1.0, 2.0, 5.0)
    # How long one pull waits for a message when there is none.
    idle_pull_s: float = 1.0
    # The most messages of a backlog applied in one transaction.
    max_batch: int = 64
    # A message body above this is parked unread: no contract needs one, and parsing it
    # would only cost memory.
    max_message_bytes: int = 262_144


class Consumer:
    """Runs one :class:`Subscription` until stopped."""

    def __init__(
        self,
        subscription: Subscription,
        *,
        service: str,
        database: Database,
        inbox: Inbox,
        broker: Broker,
        policy: ConsumerPolicy,
        metrics: ServiceMetrics | None = None,
    ) -> None:
        self.subscription = subscription
        self.metrics = metrics or ServiceMetrics()
        self.service = service
        self.database = database
        self.inbox = inbox
        self.broker = broker
        self.policy = policy
        self.durable = f"{service}-{subscription.name}".replace(".", "-")
        self._task: asyncio.Task[None] | None = None
        self._subscription: Any = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=f"consumer-{self.durable}")

    async def stop(self) -> None:
        await cancel_and_wait(self._task)
        self._task = None
        if self._subscription is not None:
            # Unsubscribe now: a drained connection would otherwise wait for the messages of an
            # unfinished pull that nobody will process any more. Unacked ones are redelivered.
            with contextlib.suppress(Exception):
                await self._subscription.unsubscribe()
            self._subscription = None

    def _config(self) -> ConsumerConfig:
        return ConsumerConfig(
            durable_name=self.durable,
            filter_subjects=list(self.subscription.subjects),
            ack_policy=AckPolicy.EXPLICIT,
            deliver_policy=DeliverPolicy.ALL,
            ack_wait=self.policy.ack_wait_s,
            max_deliver=self.policy.max_deliver + _PARK_GRACE_DELIVERIES,
            backoff=list(self.policy.backoff_s),
            max_ack_pending=1000,
        )

    async def refresh_metrics(self) -> None:
        """Set this consumer's lag: messages stored for it and not yet delivered."""
        if self.broker.connected:
            info = await self.broker.js.consumer_info(self.subscription.stream, self.durable)
            self.metrics.consumer_pending.labels(self.durable).set(info.num_pending or 0)

    async def _bind(self):  # type: ignore[no-untyped-def]
        """Create the durable consumer if needed, then bind a pull subscription to it."""
        js = self.broker.js
        stream = self.subscription.stream
        try:
            await js.consumer_info(stream, self.durable)
        except NotFoundError:
            await js.add_consumer(stream, self._config())
        return await js.pull_subscribe_bind(durable=self.durable, stream=stream)

    async def _run(self) -> None:
        delay = 0.1
        while True:
            try:
                await self.broker.wait_connected()
                subscription = self._subscription = await self._bind()
                delay = 0.1
                while True:
                    try:
                        messages = await self._pull(subscription)
                    except TimeoutError:
                        continue
                    await self.process_batch(messages)
            except asyncio.CancelledError:
                raise
            except Exception as error:
                # Typically: the publisher's stream does not exist yet, or the broker went away.
                log.info("consumer %s waiting: %r", self.durable, error)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 2.0)

    async def _pull(self, subscription: Any) -> list[Msg]:
        """The next message, waiting for it; with it, the backlog already stored behind it.

        The first pull asks for one message: nats-py's pull of several waits, once the first
        has come, until all have come or the pull expires, which would add up to a second of
        latency to every hop of a saga. The message says how many are stored behind it; those
        are asked for with nats-py's no-wait pull, which returns what is there at once.
        """
        messages: list[Msg] = await subscription.fetch(1, timeout=self.policy.idle_pull_s)
        waiting = messages[-1].metadata.num_pending or 0
        if waiting and self.policy.max_batch > 1:
            with contextlib.suppress(TimeoutError):
                messages += await subscription.fetch(
                    min(waiting, self.policy.max_batch - 1), timeout=_BACKLOG_PULL_TIMEOUT_S
                )
        return messages

    async def process(self, message: Msg) -> None:
        """Apply one message (at most once per consumer) and acknowledge it."""
        routed = await self._route(message)
        if routed is not None:
            await self._apply_alone(message, *routed)

    async def process_batch(self, messages: list[Msg]) -> None:
        """Apply ``messages`` in order in one transaction, then acknowledge them all.

        One transaction and one round of acknowledgements instead of one per message is what
        makes a backlog drain fast. If any message fails, nothing of the batch is kept and
        each is applied alone, so the failure is retried or parked on its own.
        """
        if len(messages) == 1:
            await self.process(messages[0])
            return
        batch = []
        for message in messages:
            routed = await self._route(message)
            if routed is not None:
                batch.append((message, *routed))
        if not batch:
            return
        try:
            async with self.database.transaction() as session:
                for message, envelope, route in batch:
                    await self._apply(session, message, envelope, route)
                    if session.identity_map or session.new:
                        # Each message sees the database, not ORM objects a previous one
                        # loaded (the saga's path uses Core only, and skips this).
                        await session.flush()
                        session.expunge_all()
        except Exception as error:
            log.info(
                "consumer %s: a batch of %d failed (%r); applying each alone",
                self.durable, len(batch), error,
            )  # fmt: skip
            for message, envelope, route in batch:
                await self._apply_alone(message, envelope, route)
            return
        crash_point(AFTER_EFFECT_BEFORE_ACK)
        for message, _envelope, _route in batch:
            await self._answer(message.ack())
        self.metrics.messages_processed.labels(self.durable).inc(len(batch))

    async def _route(self, message: Msg) -> tuple[Envelope, Route] | None:
        """The message's envelope and route; None when it was parked instead."""
        if message.metadata.num_delivered > 1:
            self.metrics.messages_redelivered.labels(self.durable).inc()
        size, limit = len(message.data), self.policy.max_message_bytes
        if size > limit:
            await self._park(message, f"message of {size} bytes exceeds the limit of {limit} bytes")
            return None
        try:
            envelope = Envelope.parse(message.data)
        except ValidationError as error:
            await self._park(message, f"unparseable envelope: {error.errors()[0]['msg']}")
            return None
        route = self.subscription.routes.get(envelope.type)
        if route is None:
            await self._park(message, f"unknown message type {envelope.type!r}")
            return None
        if envelope.schema_version not in route.versions:
            await self._park(
                message,
                f"unsupported schema version {envelope.schema_version} of {envelope.type!r}",
            )
            return None
        return envelope, route

    async def _apply(
        self, session: AsyncSession, message: Msg, envelope: Envelope, route: Route
    ) -> None:
        """Record the message in the inbox and, the first time only, run its handler; in a
        ``process`` span that continues the trace the message carries (a duplicate too)."""
        with (
            processing(message.subject, message.headers, envelope.id, self.durable) as span,
            message_context(envelope.id, envelope.correlation_id),
        ):
            if await self.inbox.record(session, self.durable, envelope.id):
                failing_message(envelope.type)  # test-only (chassis.faults); rolls back all
                await route.handler(envelope, session)
                return
            self.metrics.messages_deduplicated.labels(self.durable).inc()
            if span.is_recording():
                span.set_attribute("mkservice.inbox.duplicate", True)

    async def _apply_alone(self, message: Msg, envelope: Envelope, route: Route) -> None:
        """Apply one message in its own transaction; acknowledge, retry later or park it."""
        try:
            async with self.database.transaction() as session:
                await self._apply(session, message, envelope, route)
        except ValidationError as error:
            # The payload breaks its contract: no retry can fix that, so park it now.
            await self._park(message, f"payload does not match {envelope.type!r}: {error}")
            return
        except Exception as error:
            await self._failed(message, error)
            return
        crash_point(AFTER_EFFECT_BEFORE_ACK)
        await self._answer(message.ack())
        self.metrics.messages_processed.labels(self.durable).inc()

    async def _failed(self, message: Msg, error: Exception) -> None:
        deliveries = message.metadata.num_delivered
        if deliveries >= self.policy.max_deliver:
            await self._park(message, f"failed {deliveries} times; last error: {error!r}")
            return
        log.warning("consumer %s: delivery %d failed: %r", self.durable, deliveries, error)
        backoff = self.policy.backoff_s
        delay = backoff[min(deliveries - 1, len(backoff) - 1)] if backoff else 1.0
        await self._answer(message.nak(delay=delay))

    async def _park(self, message: Msg, reason: str) -> None:
        headers = dict(message.headers or {})
        headers.update(
            {
                DEAD_LETTER_REASON_HEADER: reason[:1000],
                DEAD_LETTER_CONSUMER_HEADER: self.durable,
                ORIGINAL_SUBJECT_HEADER: message.subject,
            }
        )
        # The parked copy must not be dropped as a duplicate of the original message id.
        headers.pop("Nats-Msg-Id", None)
        subject = naming.dead_letter_subject(self.service, self.subscription.name)
        try:
            await self.broker.publish(subject, message.data, headers, timeout=5.0)
        except Exception as error:
            log.error("consumer %s: cannot park message yet: %r", self.durable, error)
            await self._answer(message.nak(delay=1.0))
            return
        self.metrics.messages_dead_lettered.labels(self.durable).inc()
        log.error("consumer %s parked a message on %s: %s", self.durable, subject, reason)
        await self._answer(message.ack())

    async def _answer(self, ack_or_nak: Awaitable[None]) -> None:
        """Send an ack or nak, giving up after a few seconds: an answer lost to a broker outage
        only means the server redelivers after ``ack_wait`` (the inbox makes that harmless),
        while an answer that hangs would stop this consumer for good."""
        try:
            async with asyncio.timeout(_ANSWER_TIMEOUT_S):
                await ack_or_nak
        except Exception as error:
            log.warning("consumer %s: could not answer the broker: %r", self.durable, error)
