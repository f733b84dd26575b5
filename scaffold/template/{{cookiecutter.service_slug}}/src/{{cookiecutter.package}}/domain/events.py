"""What {{ cookiecutter.service_slug }} tells the world happened (past-tense names).

Plain data: ``messaging/outgoing.py`` turns each into the message that announces it.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class ItemCreated:
    item_id: str
    name: str


Event = ItemCreated
"""Every event of this service (a union, once there are several)."""
