"""What {{ cookiecutter.service_slug }} does.

A handler's writes and the events it sends commit together.
"""

from datetime import UTC, datetime

from {{ cookiecutter.package }}.domain import CreateItem, Item
from {{ cookiecutter.package }}.messaging import contracts
from {{ cookiecutter.package }}.service_layer.unit_of_work import {{ cookiecutter.class_prefix }}UnitOfWork


async def create_item(command: CreateItem, uow: {{ cookiecutter.class_prefix }}UnitOfWork) -> Item:
    """Create an item and announce it with an ``item-created`` event."""
    item = Item.create(command.name, now=datetime.now(UTC))
    await uow.items.add(item)
    await uow.send(
        contracts.ITEM_CREATED,
        contracts.ItemCreatedV1(item_id=item.id, name=item.name),
        correlation_id=item.id,
    )
    return item


async def mark_announced(item_id: str, uow: {{ cookiecutter.class_prefix }}UnitOfWork) -> None:
    """The item's creation event came back through the broker: record it (once)."""
    item = await uow.items.get(item_id)
    if item is not None and item.announce(datetime.now(UTC)):
        await uow.items.save(item)
