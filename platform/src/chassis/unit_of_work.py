"""The unit of work handlers are given: one transaction, the service's repositories, and a
``publish`` that writes to the outbox in that same transaction."""

from __future__ import annotations

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
        envelope = Envelope(
            type=type,
            source=self.source,
            correlation_id=correlation_id,
            causation_id=causation_id,
            schema_version=version,
            data=data,
        )
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
        return await self.publish(
            contract.subject,
            contract.type,
            payload.model_dump(mode="json"),
            correlation_id=correlation_id,
            causation_id=causation_id,
            version=contract.version,
            aggregate_key=aggregate_key,
        )
