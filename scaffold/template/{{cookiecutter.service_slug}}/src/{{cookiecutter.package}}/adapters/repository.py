"""Loads and stores items; the only place that knows how an item maps to its row."""

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import select

from {{ cookiecutter.package }}.adapters.tables import ItemRow
from {{ cookiecutter.package }}.domain import Item


def _to_domain(row: ItemRow) -> Item:
    return Item(
        id=row.id, name=row.name, created_at=row.created_at, announced_at=row.announced_at
    )


class ItemRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, item: Item) -> None:
        self.session.add(
            ItemRow(id=item.id, name=item.name, created_at=item.created_at, announced_at=None)
        )

    async def get(self, item_id: str) -> Item | None:
        row = await self.session.get(ItemRow, item_id)
        return _to_domain(row) if row else None

    async def list(self, *, limit: int, offset: int) -> list[Item]:
        query = select(ItemRow).order_by(ItemRow.created_at, ItemRow.id).limit(limit).offset(offset)
        rows = (await self.session.execute(query)).scalars().all()
        return [_to_domain(row) for row in rows]

    async def save(self, item: Item) -> None:
        row = await self.session.get(ItemRow, item.id)
        if row is None:
            raise LookupError(item.id)
        row.announced_at = item.announced_at
