"""What callers ask of {{ cookiecutter.service_slug }} (imperative names).

Each command carries all the data its handler needs.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class CreateItem:
    name: str


@dataclass(frozen=True)
class MarkItemAnnounced:
    """The item's creation event went round the broker: record when."""

    item_id: str
