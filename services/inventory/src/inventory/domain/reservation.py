"""The reservation of one order, and every decision the stock commands need, without I/O.

One reservation per order id is what makes the commands idempotent: a repeated command finds the
reservation and answers from it instead of touching stock again. A release that arrives before
its reserve leaves a *tombstone* (RELEASED, no lines) so that the late reserve is refused.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from inventory.domain.commands import ReserveStock
from inventory.domain.events import (
    OUT_OF_STOCK,
    RELEASED,
    UNKNOWN_SKU,
    StockCommitted,
    StockRejected,
    StockReleased,
    StockReserved,
    Unavailable,
)
from inventory.domain.model import Product, ReservedLine, StockLine


class ReservationStatus(StrEnum):
    RESERVED = "RESERVED"
    RELEASED = "RELEASED"
    COMMITTED = "COMMITTED"


class ProtocolViolation(Exception):
    """A command the saga never sends in this state (e.g. commit after release)."""


@dataclass
class Reservation:
    """The stock held for one order, and where it is in its life."""

    order_id: str
    status: ReservationStatus
    lines: tuple[ReservedLine, ...] = ()
    reason: str | None = None

    @classmethod
    def tombstone(cls, order_id: str, reason: str) -> Reservation:
        """A release for an order never reserved: remembered so a late reserve is refused."""
        return cls(order_id=order_id, status=ReservationStatus.RELEASED, reason=reason)

    @property
    def total_cents(self) -> int:
        return sum(line.total_cents for line in self.lines)

    def reserved_event(self) -> StockReserved:
        return StockReserved(order_id=self.order_id, lines=self.lines)

    def answer_reserve(self) -> StockReserved | StockRejected:
        """A reserve for an order that already has a reservation changes nothing.

        Held or sold stock is confirmed again; a released one (tombstone or compensated) is
        refused, since answering ``stock-reserved`` would claim units that are no longer held.
        """
        if self.status is ReservationStatus.RELEASED:
            return StockRejected(order_id=self.order_id, reason=RELEASED)
        return self.reserved_event()

    def release(self, reason: str) -> tuple[StockReleased, tuple[ReservedLine, ...]]:
        """Release the reservation; returns the answer and the lines whose stock goes back.

        A repeated release answers again and returns nothing more.
        """
        if self.status is ReservationStatus.COMMITTED:
            raise ProtocolViolation(f"release of committed reservation {self.order_id}")
        returned: tuple[ReservedLine, ...] = ()
        if self.status is ReservationStatus.RESERVED:
            returned = self.lines
            self.status = ReservationStatus.RELEASED
            self.reason = reason
        return StockReleased(order_id=self.order_id), returned

    def commit(self) -> tuple[StockCommitted, tuple[ReservedLine, ...]]:
        """Commit the reservation; returns the answer and the lines whose stock becomes sold.

        A repeated commit answers again and sells nothing more.
        """
        if self.status is ReservationStatus.RELEASED:
            raise ProtocolViolation(f"commit of released reservation {self.order_id}")
        sold: tuple[ReservedLine, ...] = ()
        if self.status is ReservationStatus.RESERVED:
            sold = self.lines
            self.status = ReservationStatus.COMMITTED
        return StockCommitted(order_id=self.order_id), sold


def merge_lines(lines: Iterable[StockLine]) -> tuple[StockLine, ...]:
    """One line per sku (quantities added up), in the order the skus first appear."""
    quantities: dict[str, int] = {}
    for line in lines:
        quantities[line.sku] = quantities.get(line.sku, 0) + line.quantity
    return tuple(StockLine(sku, quantity) for sku, quantity in quantities.items())


def plan_reservation(
    command: ReserveStock, products: Mapping[str, Product]
) -> Reservation | StockRejected:
    """Decide a new reservation from the current stock: all lines, or a rejection naming them.

    ``products`` holds the products the command names (unknown skus are simply absent). The
    plan is only a decision: the stock is taken by the caller, atomically, for all lines.
    """
    lines = merge_lines(command.lines)
    unknown = tuple(
        Unavailable(line.sku, line.quantity, 0) for line in lines if line.sku not in products
    )
    if unknown:
        return StockRejected(order_id=command.order_id, reason=UNKNOWN_SKU, unavailable=unknown)
    short = tuple(
        Unavailable(line.sku, line.quantity, products[line.sku].available)
        for line in lines
        if products[line.sku].available < line.quantity
    )
    if short:
        return StockRejected(order_id=command.order_id, reason=OUT_OF_STOCK, unavailable=short)
    reserved = tuple(
        ReservedLine(line.sku, line.quantity, products[line.sku].price_cents) for line in lines
    )
    return Reservation(command.order_id, ReservationStatus.RESERVED, reserved)
