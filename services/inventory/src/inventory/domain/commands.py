"""What callers ask of inventory (imperative names).

The three stock commands arrive as messages from the checkout saga; ``CreateProduct`` comes from
the HTTP API. Every stock command is idempotent by ``order_id``.
"""

from __future__ import annotations

from dataclasses import dataclass

from inventory.domain.model import StockLine


@dataclass(frozen=True)
class CreateProduct:
    sku: str
    name: str
    price_cents: int
    stock: int


@dataclass(frozen=True)
class ReserveStock:
    """Hold every line for the order, or none of them."""

    order_id: str
    lines: tuple[StockLine, ...]


@dataclass(frozen=True)
class ReleaseStock:
    """Give the order's reservation back (a compensation); may arrive before the reserve."""

    order_id: str
    reason: str


@dataclass(frozen=True)
class CommitStock:
    """The order is confirmed: its reserved units are sold."""

    order_id: str
