"""Loads and stores items; the only place that knows how an item maps to its row.

Core statements over the table the row class declares, built once at import: building a
statement costs more than running it, and the ORM's loading more again (ADR 0015). The
repository takes and returns domain objects, never rows.
"""

from __future__ import annotations

from typing import Any, cast

from chassis import table_of
from sqlalchemy import CursorResult, bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from {{ cookiecutter.package }}.adapters.tables import ItemRow
from {{ cookiecutter.package }}.domain import Item

_ITEM = table_of(ItemRow)
_INSERT = insert(_ITEM)
_SELECT = select(_ITEM.c.id, _ITEM.c.name, _ITEM.c.created_at, _ITEM.c.announced_at)
_SELECT_ONE = _SELECT.where(_ITEM.c.id == bindparam("item_id"))
_SELECT_PAGE = (
    _SELECT.order_by(_ITEM.c.created_at, _ITEM.c.id)
    .limit(bindparam("limit"))
    .offset(bindparam("offset"))
)
# A bound parameter may not share a column's name in an UPDATE: hence "key".
_SAVE = (
    update(_ITEM)
    .where(_ITEM.c.id == bindparam("key"))
    .values(announced_at=bindparam("announced_at"))
)


def _item(row: Any) -> Item:
    return Item(id=row.id, name=row.name, created_at=row.created_at, announced_at=row.announced_at)


class ItemRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, item: Item) -> None:
        """Insert a new item."""
        values = {
            "id": item.id,
            "name": item.name,
            "created_at": item.created_at,
            "announced_at": item.announced_at,
        }
        await self.session.execute(_INSERT, values)

    async def get(self, item_id: str) -> Item | None:
        row = (await self.session.execute(_SELECT_ONE, {"item_id": item_id})).first()
        return _item(row) if row else None

    async def save(self, item: Item) -> None:
        """Store what may change of an existing item; LookupError when there is none."""
        # An UPDATE's result is a CursorResult (it has a row count); the session's type says less.
        result = cast(
            CursorResult[Any],
            await self.session.execute(_SAVE, {"key": item.id, "announced_at": item.announced_at}),
        )
        if result.rowcount == 0:
            raise LookupError(item.id)

    # Last: once defined, ``list`` in this class body names the method, not the builtin.
    async def list(self, *, limit: int, offset: int) -> list[Item]:
        """A page of items, oldest first."""
        rows = await self.session.execute(_SELECT_PAGE, {"limit": limit, "offset": offset})
        return [_item(row) for row in rows]
