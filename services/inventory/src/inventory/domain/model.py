"""Products and their stock: the rules, free of I/O.

A product's units are in exactly one of three buckets: ``available`` (can be reserved),
``reserved`` (held for an order that is not settled yet) and ``sold``. None of them is ever
negative; the database enforces the same with CHECK constraints.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

SKU_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
MAX_NAME_LENGTH = 200


class InvalidProduct(ValueError):
    """A product (or a change of its stock) breaks a rule of the domain."""


class ProductExists(Exception):
    """A product with this sku already exists."""

    def __init__(self, sku: str) -> None:
        super().__init__(f"a product with sku {sku!r} already exists")
        self.sku = sku


@dataclass(frozen=True)
class StockLine:
    """A quantity of one sku, as an order asks for it."""

    sku: str
    quantity: int


@dataclass(frozen=True)
class ReservedLine:
    """A quantity of one sku held for an order, at the price it was reserved at."""

    sku: str
    quantity: int
    unit_price_cents: int

    @property
    def total_cents(self) -> int:
        return self.quantity * self.unit_price_cents


@dataclass
class Product:
    """A sellable sku with its price and its stock."""

    sku: str
    name: str
    price_cents: int
    available: int
    reserved: int = 0
    sold: int = 0

    def __post_init__(self) -> None:
        for bucket in ("available", "reserved", "sold"):
            if getattr(self, bucket) < 0:
                raise InvalidProduct(f"{bucket} stock of {self.sku} cannot be negative")

    @classmethod
    def create(cls, sku: str, name: str, price_cents: int, stock: int) -> Product:
        """A new product with ``stock`` units available; the name is trimmed."""
        name = name.strip()
        if not re.fullmatch(SKU_PATTERN, sku):
            raise InvalidProduct(
                "a sku is 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit"
            )
        if not name:
            raise InvalidProduct("a product needs a name")
        if len(name) > MAX_NAME_LENGTH:
            raise InvalidProduct(f"a product name has at most {MAX_NAME_LENGTH} characters")
        if price_cents <= 0:
            raise InvalidProduct("a price must be a positive number of cents")
        if stock < 0:
            raise InvalidProduct("initial stock cannot be negative")
        return cls(sku=sku, name=name, price_cents=price_cents, available=stock)

    def take(self, quantity: int) -> bool:
        """Move ``quantity`` from available to reserved; False (and no change) if too few.

        The same condition as the adapter's ``UPDATE ... WHERE available >= :q``.
        """
        _positive(quantity)
        if self.available < quantity:
            return False
        self.available -= quantity
        self.reserved += quantity
        return True

    def give_back(self, quantity: int) -> None:
        """Return ``quantity`` reserved units to available (a released reservation)."""
        _positive(quantity)
        if self.reserved < quantity:
            raise InvalidProduct(f"{self.sku} has only {self.reserved} reserved")
        self.reserved -= quantity
        self.available += quantity

    def sell(self, quantity: int) -> None:
        """Move ``quantity`` reserved units to sold (a committed reservation)."""
        _positive(quantity)
        if self.reserved < quantity:
            raise InvalidProduct(f"{self.sku} has only {self.reserved} reserved")
        self.reserved -= quantity
        self.sold += quantity


def _positive(quantity: int) -> None:
    if quantity <= 0:
        raise InvalidProduct("a quantity must be positive")
