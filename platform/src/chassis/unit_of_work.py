"""The unit of work handlers are given: one transaction, the service's repositories, and a
``publish`` that writes to the outbox in that same transaction."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from chassis.contracts import Contract
from chassis.envelope import Envelope
from chassis.outbox import Outbox
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession


class UnitOfWork:
    """Base of each service's unit of work; subclasses add their repositories in ``__init__``.

    Nothing is sent until the transaction commits: ``publish`` only adds an outbox row.
    """

    def __init__(self, session: AsyncSession, outbox: Outbox, source: str) -> None:
        self.session = session
        self.outbox = outbox
        self.source = source
        self.published: list[Envelope] = []

    async def publish(
        self,
        subject: str,
        type: str,
        data: dict[str, Any],
        *,
        correlation_id: str,
        causation_id: str | None = None,
        version: int = 1,
        aggregate_key: str | None = None,
    ) -> Envelope:
        """Queue a message for ``subject``; it is delivered after (and only if) the commit."""
        envelope = self._envelope(type, version, data, correlation_id, causation_id)
        await self.outbox.add(self.session, subject, envelope, aggregate_key=aggregate_key)
        self.published.append(envelope)
        return envelope

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
