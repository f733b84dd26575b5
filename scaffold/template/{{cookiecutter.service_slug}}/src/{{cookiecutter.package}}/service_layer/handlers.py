"""What {{ cookiecutter.service_slug }} does: handlers ``(command, unit of work, now)``.

A handler's writes and the events it emits commit together. It never reads the clock (its caller,
an entrypoint, passes ``now``) and never names a message contract (the unit of work maps each
domain event to its message).
"""

from datetime import datetime

from {{ cookiecutter.package }}.domain import CreateItem, Item, ItemCreated, MarkItemAnnounced
from {{ cookiecutter.package }}.service_layer.unit_of_work import {{ cookiecutter.class_prefix }}UnitOfWork


async def create_item(command: CreateItem, uow: {{ cookiecutter.class_prefix }}UnitOfWork, now: datetime) -> Item:
    """Create an item and announce it with an ``ItemCreated`` event (its conversation: the item)."""
    item = Item.create(command.name, now=now)
    await uow.items.add(item)
    await uow.emit([ItemCreated(item_id=item.id, name=item.name)], correlation_id=item.id)
    return item


async def mark_announced(
    command: MarkItemAnnounced, uow: {{ cookiecutter.class_prefix }}UnitOfWork, now: datetime
) -> None:
    """Record that the item's creation event came back through the broker (once)."""
    item = await uow.items.get(command.item_id)
    if item is not None and item.announce(now):
        await uow.items.save(item)
