"""The domain of {{ cookiecutter.service_slug }}.

Plain Python: no web framework, no SQL, no broker, and no clock (the time is passed in).
"""

from {{ cookiecutter.package }}.domain.commands import CreateItem, MarkItemAnnounced
from {{ cookiecutter.package }}.domain.events import Event, ItemCreated
from {{ cookiecutter.package }}.domain.model import InvalidItem, Item

__all__ = ["CreateItem", "Event", "InvalidItem", "Item", "ItemCreated", "MarkItemAnnounced"]
