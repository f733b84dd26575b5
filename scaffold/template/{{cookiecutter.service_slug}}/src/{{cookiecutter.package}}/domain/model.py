"""The example aggregate. Replace it with your own; keep its rules here, free of I/O."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

MAX_NAME_LENGTH = 200


class InvalidItem(ValueError):
    """The item breaks a rule of the domain."""


@dataclass
class Item:
    id: str
    name: str
    created_at: datetime
    announced_at: datetime | None = None

    @classmethod
    def create(cls, name: str, *, now: datetime) -> Item:
        """A new item; its name is trimmed and must not be empty."""
        name = name.strip()
        if not name:
            raise InvalidItem("an item needs a name")
        if len(name) > MAX_NAME_LENGTH:
            raise InvalidItem(f"an item name has at most {MAX_NAME_LENGTH} characters")
        return cls(id=str(uuid.uuid4()), name=name, created_at=now)

    def announce(self, now: datetime) -> bool:
        """Record that the creation event went round; False when it already had."""
        if self.announced_at is not None:
            return False
        self.announced_at = now
        return True
