"""In-memory stores for the handler tests: the same contracts as the SQL repositories
(``inventory.service_layer.ports``), with copies in and out so nothing changes unless saved."""

from __future__ import annotations

import copy
from collections.abc import Iterable
from datetime import datetime

import pytest

from inventory.domain import Event, Product, ProductExists, Reservation, ReservedLine


class FakeProducts:
    def __init__(self) -> None:
        self.items: dict[str, Product] = {}
        # How many of the next ``take`` calls lose a race to another (imaginary) instance.
        self.races_to_lose = 0

    async def add(self, product: Product) -> None:
        if product.sku in self.items:
            raise ProductExists(product.sku)
        self.items[product.sku] = copy.copy(product)

    async def add_if_missing(self, product: Product) -> bool:
        if product.sku in self.items:
            return False
        self.items[product.sku] = copy.copy(product)
        return True

    async def get(self, sku: str) -> Product | None:
        return copy.copy(self.items.get(sku))

    async def get_many(self, skus: Iterable[str]) -> dict[str, Product]:
        return {sku: copy.copy(self.items[sku]) for sku in skus if sku in self.items}

    async def take(self, lines: Iterable[ReservedLine]) -> bool:
        if self.races_to_lose:
            self.races_to_lose -= 1
            return False
        trial = copy.deepcopy(self.items)
        if not all(trial[line.sku].take(line.quantity) for line in lines):
            return False
        self.items = trial
        return True

    async def give_back(self, lines: Iterable[ReservedLine]) -> None:
        for line in lines:
            self.items[line.sku].give_back(line.quantity)

    async def sell(self, lines: Iterable[ReservedLine]) -> None:
        for line in lines:
            self.items[line.sku].sell(line.quantity)


class FakeReservations:
    def __init__(self) -> None:
        self.items: dict[str, Reservation] = {}
        # When each reservation was last written.
        self.written_at: dict[str, datetime] = {}

    async def get(self, order_id: str, *, for_update: bool = False) -> Reservation | None:
        return copy.deepcopy(self.items.get(order_id))

    async def add(self, reservation: Reservation, *, now: datetime) -> None:
        assert reservation.order_id not in self.items, "primary key violated"
        self.items[reservation.order_id] = copy.deepcopy(reservation)
        self.written_at[reservation.order_id] = now

    async def save(self, reservation: Reservation, *, now: datetime) -> None:
        self.items[reservation.order_id] = copy.deepcopy(reservation)
        self.written_at[reservation.order_id] = now


class FakeUnitOfWork:
    def __init__(self) -> None:
        self.products = FakeProducts()
        self.reservations = FakeReservations()
        # The events emitted, in order: what the outbox would announce.
        self.emitted: list[Event] = []

    async def emit(self, events: Iterable[Event], *, correlation_id: str | None = None) -> None:
        self.emitted.extend(events)

    def stock(self, sku: str) -> tuple[int, int, int]:
        product = self.products.items[sku]
        return product.available, product.reserved, product.sold


@pytest.fixture
def uow() -> FakeUnitOfWork:
    """A unit of work with a lamp (5 units, 3900 cents) and a mug (1 unit, 1200 cents)."""
    fake = FakeUnitOfWork()
    fake.products.items = {
        "sku-lamp": Product.create("sku-lamp", "Lamp", 3900, 5),
        "sku-mug": Product.create("sku-mug", "Mug", 1200, 1),
    }
    return fake
