"""What the handlers need from storage, as protocols: the SQL repositories implement them in
production, in-memory fakes in the unit tests (``tests/unit/conftest.py``)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Protocol

from inventory.domain import Event, Product, Reservation, ReservedLine


class ProductStore(Protocol):
    async def add(self, product: Product) -> None:
        """Insert a new product; raise ``ProductExists`` when its sku is taken."""

    async def add_if_missing(self, product: Product) -> bool:
        """Insert ``product`` unless its sku exists; True when it was inserted."""

    async def get(self, sku: str) -> Product | None: ...

    async def get_many(self, skus: Iterable[str]) -> dict[str, Product]:
        """The products among ``skus`` that exist, by sku."""

    async def take(self, lines: Iterable[ReservedLine]) -> bool:
        """Move every line from available to reserved, atomically, or none (False)."""

    async def give_back(self, lines: Iterable[ReservedLine]) -> None:
        """Move the lines from reserved back to available."""

    async def sell(self, lines: Iterable[ReservedLine]) -> None:
        """Move the lines from reserved to sold."""


class ReservationStore(Protocol):
    async def get(self, order_id: str, *, for_update: bool = False) -> Reservation | None:
        """The order's reservation, locked until the transaction ends when ``for_update``."""

    async def add(self, reservation: Reservation, *, now: datetime) -> None:
        """Insert a new reservation made at ``now`` (fails if the order already has one)."""

    async def save(self, reservation: Reservation, *, now: datetime) -> None:
        """Store a reservation's new status and reason, changed at ``now``."""


class StockUnitOfWork(Protocol):
    """One transaction's view of the stores, and the events it will announce."""

    @property
    def products(self) -> ProductStore: ...

    @property
    def reservations(self) -> ReservationStore: ...

    async def emit(self, events: Iterable[Event], *, correlation_id: str | None = None) -> object:
        """Announce ``events`` when the transaction commits (the outbox)."""
