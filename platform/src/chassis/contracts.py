"""Message contracts: a subject, a type name, a version and the payload's pydantic model.

The subject names the owner (``inventory.cmd.reserve-stock`` belongs to inventory), and so the
stream it is stored in (see :mod:`chassis.naming`): nothing else needs to repeat either.

The service that handles a command or publishes an event owns its contract; a consumer keeps its
own copy of the contracts it reads (copied, never imported from another service's package).
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from typing import Generic, TypeVar

from chassis import naming
from chassis.envelope import Envelope
from pydantic import BaseModel

P = TypeVar("P", bound=BaseModel)


@dataclass(frozen=True)
class Contract(Generic[P]):
    """One message kind. ``subject`` is where it is published, ``type`` what the envelope says."""

    subject: str
    type: str
    model: builtins.type[P]  # `type` is also a field here, hence builtins
    version: int = 1

    @property
    def owner(self) -> str:
        """The service that owns this message: the subject's first token."""
        return naming.owner_of(self.subject)

    @property
    def stream(self) -> str:
        """The JetStream stream the message is stored in: its owner's."""
        return naming.stream_name(self.owner)

    def parse(self, envelope: Envelope) -> P:
        """The envelope's payload as this contract's model (raises on a mismatch)."""
        return self.model.model_validate(envelope.data)
