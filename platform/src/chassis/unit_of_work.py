"""The unit of work handlers are given: one transaction, the service's repositories, and
``emit``, which writes the messages announcing domain events to the outbox in that same
transaction.

Handlers speak only of the domain: they ``emit`` domain events (and a saga its commands). The one
module of each service that knows its contracts, ``messaging/outgoing.py``, turns each into a
contract and a payload (its ``message_for``); the composition root hands that function to the
unit of work. So a handler never builds an envelope, and the service layer never imports the
messaging layer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager, nullcontext
from typing import Any

from chassis.contracts import Contract
from chassis.envelope import Envelope
from chassis.outbox import Outbox
from chassis.tracing import continuing, tracing_enabled
from pydantic import BaseModel
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession

OutgoingMessage = tuple[Contract[Any], BaseModel]
"""A message to send: its contract and its payload."""

Outgoing = Callable[[Any], OutgoingMessage]
"""A service's ``message_for(event)``: the message that announces a domain event or command."""


def no_outgoing(event: Any) -> OutgoingMessage:
    """The ``Outgoing`` of a unit of work that must not emit anything."""
    raise TypeError(f"this unit of work sends no messages, yet was asked to emit {event!r}")


class UnitOfWork:
    """Base of each service's unit of work; subclasses add their repositories in ``__init__``.

    Nothing is sent until the transaction commits: ``emit`` and ``send`` only add outbox rows.
    A unit of work opened for an incoming message (``replying_to``) answers in its conversation:
    what it emits carries that message's correlation id, and its id as the causation id.
    """

    def __init__(
        self,
        session: AsyncSession,
        outbox: Outbox,
        source: str,
        *,
        outgoing: Outgoing = no_outgoing,
        replying_to: Envelope | None = None,
    ) -> None:
        self.session = session
        self.outbox = outbox
        self.source = source
        self.outgoing = outgoing
        self.replying_to = replying_to
        self.published: list[Envelope] = []

    async def continuing_trace(self, aggregate_key: str, name: str) -> AbstractContextManager[Any]:
        """A context in which what this unit of work does continues the trace of the last
        message queued for ``aggregate_key`` (nothing to read when tracing is off): a timer's
        work on a flow (the saga sweeper's timeouts) stays in the trace its request began."""
        if not tracing_enabled():
            return nullcontext()
        return continuing(await self.outbox.last_headers(self.session, aggregate_key), name)

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` once this transaction has committed, never if it rolls back: for an
        effect outside the database (a metric, say) that must not count a step twice when its
        transaction is retried."""
        event.listen(
            self.session.sync_session, "after_commit", lambda _session: callback(), once=True
        )

    async def emit(
        self,
        events: Iterable[Any],
        *,
        correlation_id: str | None = None,
        causation_id: str | None = None,
    ) -> list[Envelope]:
        """Queue the message announcing each of ``events``, in order, with one outbox insert.

        ``correlation_id`` names the conversation and ``causation_id`` the message that caused
        this one; both default to those of the message this unit of work replies to (an answer
        given later, from stored ids, passes them).
        """
        messages = [self.outgoing(event) for event in events]
        if not messages:
            return []
        incoming = self.replying_to
        if correlation_id is None:
            if incoming is None:
                raise ValueError("emit needs a correlation_id outside a reply to a message")
            correlation_id = incoming.correlation_id
        if causation_id is None and incoming is not None:
            causation_id = incoming.id
        return await self.send_many(
            messages, correlation_id=correlation_id, causation_id=causation_id
        )

    async def send(
        self,
        contract: Contract[Any],
        payload: BaseModel,
        *,
        correlation_id: str,
        causation_id: str | None = None,
        aggregate_key: str | None = None,
    ) -> Envelope:
        """Queue ``payload`` as a message of ``contract`` (its subject, type and version)."""
        [envelope] = await self.send_many(
            [(contract, payload)],
            correlation_id=correlation_id,
            causation_id=causation_id,
            aggregate_key=aggregate_key,
        )
        return envelope

    async def send_many(
        self,
        messages: Sequence[tuple[Contract[Any], BaseModel]],
        *,
        correlation_id: str,
        causation_id: str | None = None,
        aggregate_key: str | None = None,
    ) -> list[Envelope]:
        """Queue several messages of one conversation, in order, with one outbox insert."""
        queued = [
            (
                contract.subject,
                self._envelope(
                    contract.type,
                    contract.version,
                    payload.model_dump(mode="json"),
                    correlation_id,
                    causation_id,
                ),
            )
            for contract, payload in messages
        ]
        await self.outbox.add_many(self.session, queued, aggregate_key=aggregate_key)
        envelopes = [envelope for _subject, envelope in queued]
        self.published.extend(envelopes)
        return envelopes

    def _envelope(
        self,
        type: str,
        version: int,
        data: dict[str, Any],
        correlation_id: str,
        causation_id: str | None,
    ) -> Envelope:
        return Envelope(
            type=type,
            source=self.source,
            correlation_id=correlation_id,
            causation_id=causation_id,
            schema_version=version,
            data=data,
        )
