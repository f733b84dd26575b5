"""The message envelope every service publishes and consumes.

The whole envelope travels as the JSON body; its identity and routing fields are also copied into
NATS headers, so brokers, tools and later trace propagation can read them without the body.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from chassis.clock import utcnow
from pydantic import BaseModel, ConfigDict, Field

MSG_ID_HEADER = "Nats-Msg-Id"
TYPE_HEADER = "Mk-Type"
SOURCE_HEADER = "Mk-Source"
SCHEMA_VERSION_HEADER = "Mk-Schema-Version"
CORRELATION_HEADER = "Mk-Correlation-Id"
CAUSATION_HEADER = "Mk-Causation-Id"


def new_id() -> str:
    """A fresh message id (UUID4 text)."""
    return str(uuid.uuid4())


class Envelope(BaseModel):
    """A message: what happened or what is asked, who said it, and what it answers.

    ``type`` names the contract (``inventory.stock-reserved``), ``schema_version`` its version,
    ``correlation_id`` ties every message of one business flow together (a saga uses its id) and
    ``causation_id`` is the id of the message that caused this one.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(default_factory=new_id)
    type: str
    source: str
    occurred_at: datetime = Field(default_factory=utcnow)
    correlation_id: str
    causation_id: str | None = None
    schema_version: int = 1
    data: dict[str, Any] = Field(default_factory=dict)

    def headers(self) -> dict[str, str]:
        """The NATS headers that carry this envelope's identity."""
        headers = {
            MSG_ID_HEADER: self.id,
            TYPE_HEADER: self.type,
            SOURCE_HEADER: self.source,
            SCHEMA_VERSION_HEADER: str(self.schema_version),
            CORRELATION_HEADER: self.correlation_id,
        }
        if self.causation_id:
            headers[CAUSATION_HEADER] = self.causation_id
        return headers

    def body(self) -> bytes:
        return self.model_dump_json().encode()

    @classmethod
    def parse(cls, body: bytes) -> Envelope:
        """Parse a message body; raises ``pydantic.ValidationError`` when it is not an envelope."""
        return cls.model_validate_json(body)

    def reply(self, type: str, source: str, data: dict[str, Any], version: int = 1) -> Envelope:
        """A message caused by this one, in the same flow."""
        return Envelope(
            type=type,
            source=source,
            correlation_id=self.correlation_id,
            causation_id=self.id,
            schema_version=version,
            data=data,
        )
