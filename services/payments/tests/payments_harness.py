"""A caller of payments over a real nats-server, as the orders saga is: it publishes command
envelopes on ``payments.cmd.*`` and reads the replies back from the PAYMENTS stream."""

from __future__ import annotations

import uuid
from typing import Any

import nats
from chassis import Contract, Envelope
from chassis.testing import eventually
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.errors import NotFoundError
from pydantic import BaseModel

from payments.messaging import contracts


class PaymentsCaller:
    """Sends charge and refund commands and collects every reply published by payments."""

    def __init__(self, nats_url: str, stream: str) -> None:
        self.nats_url = nats_url
        self.stream = stream
        self.received: list[Envelope] = []
        self._nc: Client | None = None
        self._js: JetStreamContext | None = None

    @property
    def js(self) -> JetStreamContext:
        assert self._js is not None, "start() first"
        return self._js

    async def start(self) -> None:
        """Connect, wait for the service to have created its stream, and follow its replies."""
        self._nc = await nats.connect(self.nats_url)
        self._js = self._nc.jetstream()
        await eventually(self._stream_exists)

        async def collect(message: Msg) -> None:
            self.received.append(Envelope.parse(message.data))

        await self.js.subscribe("payments.evt.>", cb=collect, ordered_consumer=True)

    async def _stream_exists(self) -> bool:
        try:
            await self.js.stream_info(self.stream)
        except NotFoundError:
            return False
        return True

    async def close(self) -> None:
        if self._nc is not None:
            await self._nc.close()

    async def send(self, contract: Contract[Any], payload: BaseModel, order_id: str) -> Envelope:
        """Publish a command as the saga does: correlated by the order id."""
        envelope = Envelope(
            type=contract.type,
            source="orders",
            correlation_id=order_id,
            schema_version=contract.version,
            data=payload.model_dump(mode="json"),
        )
        await self.js.publish(contract.subject, envelope.body(), headers=envelope.headers())
        return envelope

    async def charge(self, order_id: str, amount_cents: int, token: str = "tok_visa") -> Envelope:
        payload = contracts.ChargeV1(
            order_id=order_id, amount_cents=amount_cents, payment_token=token
        )
        return await self.send(contracts.CHARGE, payload, order_id)

    async def refund(self, order_id: str, reason: str = "order rejected") -> Envelope:
        payload = contracts.RefundV1(order_id=order_id, reason=reason)
        return await self.send(contracts.REFUND, payload, order_id)

    def replies(self, order_id: str) -> list[Envelope]:
        """The replies for an order so far, in publication order."""
        return [envelope for envelope in self.received if envelope.correlation_id == order_id]

    async def wait_for(
        self, order_id: str, count: int = 1, timeout: float = 20.0
    ) -> list[Envelope]:
        """Wait until at least ``count`` replies for the order have arrived; return them all."""
        await eventually(lambda: len(self.replies(order_id)) >= count, timeout=timeout)
        return self.replies(order_id)

    async def barrier(self) -> None:
        """Wait until every command sent so far was handled: the consumer handles commands in
        order, so once a fresh order's charge is answered, all earlier ones were too."""
        order_id = f"barrier-{uuid.uuid4()}"
        await self.charge(order_id, 1)
        await self.wait_for(order_id)


def new_order_id() -> str:
    return f"order-{uuid.uuid4()}"
