"""Talk to a running service over a real nats-server, as the services that call it do.

One helper for every service's tests: :class:`MessageProbe` sends a message of a contract (an
envelope on the contract's subject, stored in the owner's stream) and reads what the service
published back, matched to what was sent by causation or correlation id::

    async with MessageProbe(nats_url, source="orders") as probe:
        await probe.follow("inventory.evt.>")
        answer = await probe.request(RESERVE_STOCK, ReserveStockV1(...), correlation_id=order_id)
        assert answer.type == "inventory.stock-reserved"

It plays a participant too: follow a service's commands (``orders`` sends them to
``inventory.cmd.>``) and ``send`` the replies; and an owner whose events a consumer reads
(``create_stream_of("orders")``, then ``send`` an ``orders.evt.*`` event).
"""

from __future__ import annotations

from dataclasses import dataclass
from types import TracebackType
from typing import Any

import nats
from chassis import naming
from chassis.contracts import Contract
from chassis.envelope import MSG_ID_HEADER, Envelope
from chassis.testing.waiting import eventually
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import DeliverPolicy
from nats.js.errors import NotFoundError
from pydantic import BaseModel


@dataclass(frozen=True)
class Received:
    """A message the probe saw: where it was published, and its envelope."""

    subject: str
    envelope: Envelope


class MessageProbe:
    """A NATS client for tests: sends envelopes, records what comes back."""

    def __init__(
        self,
        nats_url: str,
        *,
        source: str = "test",
        user: str | None = None,
        password: str | None = None,
        timeout_s: float = 20.0,
    ) -> None:
        self.nats_url = nats_url
        self.source = source
        self.timeout_s = timeout_s
        self.received: list[Received] = []
        self._credentials = {"user": user, "password": password} if user else {}
        self._nc: Client | None = None
        self._js: JetStreamContext | None = None

    async def __aenter__(self) -> MessageProbe:
        self._nc = await nats.connect(self.nats_url, **self._credentials)  # type: ignore[arg-type]
        self._js = self._nc.jetstream()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._nc is not None:
            await self._nc.close()
            self._nc = None

    @property
    def js(self) -> JetStreamContext:
        assert self._js is not None, "use the probe inside `async with`"
        return self._js

    async def wait_for_stream(self, stream: str) -> None:
        """Wait until ``stream`` exists (a service creates its own once connected)."""

        async def exists() -> bool:
            try:
                await self.js.stream_info(stream)
            except NotFoundError:
                return False
            return True

        await eventually(exists, timeout=self.timeout_s)

    async def create_stream_of(self, service: str) -> None:
        """Create the stream ``service`` owns, as that service would on its start.

        For a consumer's tests, where the owner of the events it reads is not running: the
        consumer binds to the owner's stream, which must exist (``orders`` for a consumer of
        ``orders.evt.order-confirmed``).
        """
        await self.js.add_stream(
            name=naming.stream_name(service), subjects=naming.stream_subjects(service)
        )

    async def follow(self, *subjects: str, stream: str | None = None) -> None:
        """Record every message stored on ``subjects`` from the start of their stream.

        ``stream`` (the one the subjects are in) is waited for first; by default, the stream of
        the service named by the first subject's first token.
        """
        await self.wait_for_stream(stream or naming.stream_name(naming.owner_of(subjects[0])))

        async def collect(message: Msg) -> None:
            self.received.append(Received(message.subject, Envelope.parse(message.data)))

        for subject in subjects:
            await self.js.subscribe(
                subject, cb=collect, deliver_policy=DeliverPolicy.ALL, ordered_consumer=True
            )

    async def send(
        self,
        contract: Contract[Any],
        payload: BaseModel | dict[str, Any],
        *,
        correlation_id: str,
        causation_id: str | None = None,
        envelope: Envelope | None = None,
        broker_dedupe: bool = True,
    ) -> Envelope:
        """Publish ``payload`` as a message of ``contract``; returns its envelope.

        Give ``envelope`` to send one again. ``broker_dedupe=False`` leaves out the message id
        header, so JetStream stores a re-sent envelope again and what is tested is the consumer's
        own idempotency.
        """
        if envelope is None:
            data = payload.model_dump(mode="json") if isinstance(payload, BaseModel) else payload
            envelope = Envelope(
                type=contract.type,
                source=self.source,
                correlation_id=correlation_id,
                causation_id=causation_id,
                schema_version=contract.version,
                data=data,
            )
        headers = envelope.headers()
        if not broker_dedupe:
            headers.pop(MSG_ID_HEADER)
        await self.js.publish(contract.subject, envelope.body(), headers=headers)
        return envelope

    def answers_to(self, sent: Envelope) -> list[Received]:
        """What was published in answer to ``sent`` (its causation id), in order."""
        return [item for item in self.received if item.envelope.causation_id == sent.id]

    async def answer(self, sent: Envelope) -> Received:
        """Wait for the first answer to ``sent``."""
        await eventually(lambda: self.answers_to(sent), timeout=self.timeout_s)
        return self.answers_to(sent)[0]

    async def request(
        self, contract: Contract[Any], payload: BaseModel | dict[str, Any], *, correlation_id: str
    ) -> Received:
        """Send a message and wait for its first answer."""
        return await self.answer(await self.send(contract, payload, correlation_id=correlation_id))

    def of(self, correlation_id: str) -> list[Envelope]:
        """Every recorded envelope of one conversation, in order."""
        return [
            item.envelope
            for item in self.received
            if item.envelope.correlation_id == correlation_id
        ]

    async def wait_for(self, correlation_id: str, count: int = 1) -> list[Envelope]:
        """Wait until ``count`` envelopes of one conversation were recorded; returns them all."""
        await eventually(lambda: len(self.of(correlation_id)) >= count, timeout=self.timeout_s)
        return self.of(correlation_id)
