"""Loads and stores products and reservations; the only place that knows their rows.

Stock never moves by read-modify-write: each move is ONE conditional UPDATE whose WHERE clause
re-checks the stock at the moment it runs. On PostgreSQL a concurrent transaction on the same
row waits for the row lock and then re-evaluates the condition against the committed values, so
two reservations of the last unit cannot both succeed; on SQLite ``BEGIN IMMEDIATE`` serializes
the writers.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from chassis import table_of
from sqlalchemy import Integer, bindparam, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from inventory.adapters.tables import ProductRow, ReservationLineRow, ReservationRow
from inventory.domain import Product, ProductExists, Reservation, ReservationStatus, ReservedLine

# Core statements over the tables the row classes declare, built once: building a statement
# (and its cache key) costs more than running it, and the ORM's loading more again
# (docs/benchmarks.md).
_PRODUCT = table_of(ProductRow)
_RESERVATION = table_of(ReservationRow)
_RESERVATION_LINE = table_of(ReservationLineRow)
_INSERT_PRODUCT = insert(_PRODUCT)
_INSERT_RESERVATION = insert(_RESERVATION)
_INSERT_RESERVATION_LINES = insert(_RESERVATION_LINE)
_SELECT_PRODUCT = select(_PRODUCT).where(_PRODUCT.c.sku == bindparam("sku"))
_SELECT_PRODUCTS = select(_PRODUCT).where(_PRODUCT.c.sku.in_(bindparam("skus", expanding=True)))
_LIST_PRODUCTS = (
    select(_PRODUCT)
    .order_by(_PRODUCT.c.sku)
    .limit(bindparam("limit", type_=Integer))
    .offset(bindparam("offset", type_=Integer))
)
# A reservation with its lines, in one statement: one row per line (a tombstone has none, so
# the join is outer). Only the reservation row is locked.
_SELECT_RESERVATION = (
    select(
        _RESERVATION.c.order_id,
        _RESERVATION.c.status,
        _RESERVATION.c.reason,
        _RESERVATION_LINE.c.sku,
        _RESERVATION_LINE.c.quantity,
        _RESERVATION_LINE.c.unit_price_cents,
    )
    .select_from(_RESERVATION.outerjoin(_RESERVATION_LINE))
    .where(_RESERVATION.c.order_id == bindparam("order_id"))
    .order_by(_RESERVATION_LINE.c.sku)
)
_SELECT_RESERVATION_FOR_UPDATE = _SELECT_RESERVATION.with_for_update(of=_RESERVATION)
_SAVE_RESERVATION = (
    update(_RESERVATION)
    .where(_RESERVATION.c.order_id == bindparam("key"))
    .values(status=bindparam("status"), reason=bindparam("reason"), updated_at=bindparam("at"))
)
# Stock moves, one per (from, to): source = source - q, target = target + q, when source >= q.
_MOVES = {
    (source, target): update(_PRODUCT)
    .where(_PRODUCT.c.sku == bindparam("key"), _PRODUCT.c[source] >= bindparam("quantity"))
    .values(
        {
            source: _PRODUCT.c[source] - bindparam("quantity"),
            target: _PRODUCT.c[target] + bindparam("quantity"),
        }
    )
    for source, target in (
        ("available", "reserved"),
        ("reserved", "available"),
        ("reserved", "sold"),
    )
}


class StockInvariantBroken(RuntimeError):
    """A release or commit found fewer reserved units than its reservation holds."""


def _product(row: Any) -> Product:
    return Product(row.sku, row.name, row.price_cents, row.available, row.reserved, row.sold)


def _by_sku(lines: Iterable[ReservedLine]) -> list[ReservedLine]:
    # Every transaction locks product rows in the same (sku) order, so two multi-line
    # reservations cannot deadlock each other on PostgreSQL.
    return sorted(lines, key=lambda line: line.sku)


class _NotEnough(Exception):
    """Raised inside the savepoint to undo the lines already taken."""


class ProductRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, product: Product) -> None:
        """Insert a new product; raises :class:`ProductExists` when its sku is taken."""
        try:
            # A savepoint, so that the transaction stays usable after the refused insert.
            async with self.session.begin_nested():
                await self.session.execute(_INSERT_PRODUCT, _values(product))
        except IntegrityError as error:
            raise ProductExists(product.sku) from error

    async def add_if_missing(self, product: Product) -> bool:
        """Insert ``product`` unless its sku exists (leaving that one untouched)."""
        dialect = postgresql if self.session.get_bind().dialect.name == "postgresql" else sqlite
        statement = dialect.insert(_PRODUCT).values(**_values(product)).on_conflict_do_nothing()
        result = await self.session.execute(statement)
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def get(self, sku: str) -> Product | None:
        """The product ``sku``, as committed right now; None when there is none."""
        row = (await self.session.execute(_SELECT_PRODUCT, {"sku": sku})).first()
        return _product(row) if row else None

    async def get_many(self, skus: Iterable[str]) -> dict[str, Product]:
        """The products among ``skus`` that exist, by sku, as committed right now."""
        rows = await self.session.execute(_SELECT_PRODUCTS, {"skus": sorted(set(skus))})
        return {row.sku: _product(row) for row in rows}

    async def list(self, *, limit: int, offset: int) -> list[Product]:
        """One page of the catalogue, by sku."""
        rows = await self.session.execute(_LIST_PRODUCTS, {"limit": limit, "offset": offset})
        return [_product(row) for row in rows]

    async def take(self, lines: Iterable[ReservedLine]) -> bool:
        """Move every line from available to reserved, or (returning False) none of them."""
        lines = list(lines)
        if len(lines) == 1:  # one conditional UPDATE is all or nothing already
            return await self._move(lines[0], "available", "reserved")
        try:
            async with self.session.begin_nested():
                for line in _by_sku(lines):
                    if not await self._move(line, "available", "reserved"):
                        raise _NotEnough
        except _NotEnough:
            return False
        return True

    async def give_back(self, lines: Iterable[ReservedLine]) -> None:
        """Move the lines' units from reserved back to available."""
        for line in _by_sku(lines):
            if not await self._move(line, "reserved", "available"):
                raise StockInvariantBroken(f"{line.sku}: fewer than {line.quantity} reserved")

    async def sell(self, lines: Iterable[ReservedLine]) -> None:
        """Move the lines' units from reserved to sold."""
        for line in _by_sku(lines):
            if not await self._move(line, "reserved", "sold"):
                raise StockInvariantBroken(f"{line.sku}: fewer than {line.quantity} reserved")

    async def _move(self, line: ReservedLine, source: str, target: str) -> bool:
        """``UPDATE product SET source = source - q, target = target + q
        WHERE sku = :sku AND source >= q``; True when the row matched."""
        result = await self.session.execute(
            _MOVES[source, target], {"key": line.sku, "quantity": line.quantity}
        )
        return result.rowcount == 1  # type: ignore[attr-defined]


def _values(product: Product) -> dict[str, Any]:
    return {
        "sku": product.sku,
        "name": product.name,
        "price_cents": product.price_cents,
        "available": product.available,
        "reserved": product.reserved,
        "sold": product.sold,
    }


class ReservationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, order_id: str, *, for_update: bool = False) -> Reservation | None:
        """The order's reservation; ``for_update`` locks its row until the transaction ends
        (PostgreSQL; SQLite's writers are serialized anyway)."""
        query = _SELECT_RESERVATION_FOR_UPDATE if for_update else _SELECT_RESERVATION
        rows = (await self.session.execute(query, {"order_id": order_id})).all()
        if not rows:
            return None
        first = rows[0]
        return Reservation(
            order_id=first.order_id,
            status=ReservationStatus(first.status),
            lines=tuple(
                ReservedLine(row.sku, row.quantity, row.unit_price_cents)
                for row in rows
                if row.sku is not None
            ),
            reason=first.reason,
        )

    async def add(self, reservation: Reservation, *, now: datetime) -> None:
        """Insert a new reservation made at ``now``; a concurrent insert for the same order
        fails here."""
        await self.session.execute(
            _INSERT_RESERVATION,
            {
                "order_id": reservation.order_id,
                "status": reservation.status.value,
                "reason": reservation.reason,
                "created_at": now,
                "updated_at": now,
            },
        )
        if reservation.lines:  # after the parent row: the lines' foreign key must find it
            await self.session.execute(
                _INSERT_RESERVATION_LINES,
                [
                    {
                        "order_id": reservation.order_id,
                        "sku": line.sku,
                        "quantity": line.quantity,
                        "unit_price_cents": line.unit_price_cents,
                    }
                    for line in reservation.lines
                ],
            )

    async def save(self, reservation: Reservation, *, now: datetime) -> None:
        """Store a reservation's new status and reason, changed at ``now`` (its lines never
        change)."""
        await self.session.execute(
            _SAVE_RESERVATION,
            {
                "key": reservation.order_id,
                "status": reservation.status.value,
                "reason": reservation.reason,
                "at": now,
            },
        )
