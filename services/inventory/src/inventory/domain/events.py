"""What inventory tells the world happened (past tense): the answers to the stock commands."""

from __future__ import annotations

from dataclasses import dataclass

from inventory.domain.model import ReservedLine

# The reasons a reservation is refused (docs/checkout-contracts.md).
OUT_OF_STOCK = "out of stock"
UNKNOWN_SKU = "unknown sku"
RELEASED = "released"


@dataclass(frozen=True)
class StockReserved:
    order_id: str
    lines: tuple[ReservedLine, ...]

    @property
    def total_cents(self) -> int:
        return sum(line.total_cents for line in self.lines)


@dataclass(frozen=True)
class Unavailable:
    """A line that could not be reserved: how many were asked and how many there were."""

    sku: str
    requested: int
    available: int


@dataclass(frozen=True)
class StockRejected:
    order_id: str
    reason: str
    unavailable: tuple[Unavailable, ...] = ()


@dataclass(frozen=True)
class StockReleased:
    order_id: str


@dataclass(frozen=True)
class StockCommitted:
    order_id: str


Event = StockReserved | StockRejected | StockReleased | StockCommitted
