"""The decisions of the stock commands (docs/checkout-contracts.md), without any I/O."""

import pytest

from inventory.domain import (
    OUT_OF_STOCK,
    RELEASED,
    UNKNOWN_SKU,
    Product,
    ProtocolViolation,
    Reservation,
    ReservationStatus,
    ReservedLine,
    ReserveStock,
    StockCommitted,
    StockLine,
    StockRejected,
    StockReleased,
    StockReserved,
    Unavailable,
    plan_reservation,
)

PRODUCTS = {
    "sku-lamp": Product.create("sku-lamp", "Lamp", 3900, 5),
    "sku-mug": Product.create("sku-mug", "Mug", 1200, 1),
}


def reserve(*lines: tuple[str, int], order_id: str = "o-1") -> ReserveStock:
    return ReserveStock(order_id, tuple(StockLine(sku, quantity) for sku, quantity in lines))


def reserved(order_id: str = "o-1") -> Reservation:
    lines = (ReservedLine("sku-lamp", 2, 3900), ReservedLine("sku-mug", 1, 1200))
    return Reservation(order_id, ReservationStatus.RESERVED, lines)


def test_plans_every_line_at_the_current_price() -> None:
    plan = plan_reservation(reserve(("sku-lamp", 2), ("sku-mug", 1)), PRODUCTS)
    assert plan == reserved()
    assert plan.reserved_event() == StockReserved("o-1", plan.lines)
    assert plan.reserved_event().total_cents == 2 * 3900 + 1200


def test_rejects_the_whole_order_when_one_line_is_short() -> None:
    decision = plan_reservation(reserve(("sku-lamp", 2), ("sku-mug", 2)), PRODUCTS)
    assert decision == StockRejected("o-1", OUT_OF_STOCK, (Unavailable("sku-mug", 2, 1),))


def test_rejects_an_unknown_sku_before_looking_at_stock() -> None:
    decision = plan_reservation(reserve(("sku-nope", 1), ("sku-mug", 9)), PRODUCTS)
    assert decision == StockRejected("o-1", UNKNOWN_SKU, (Unavailable("sku-nope", 1, 0),))


def test_adds_up_lines_of_the_same_sku_before_checking_stock() -> None:
    decision = plan_reservation(reserve(("sku-mug", 1), ("sku-mug", 1)), PRODUCTS)
    assert decision == StockRejected("o-1", OUT_OF_STOCK, (Unavailable("sku-mug", 2, 1),))
    plan = plan_reservation(reserve(("sku-lamp", 1), ("sku-lamp", 2)), PRODUCTS)
    assert isinstance(plan, Reservation)
    assert plan.lines == (ReservedLine("sku-lamp", 3, 3900),)


@pytest.mark.parametrize("status", [ReservationStatus.RESERVED, ReservationStatus.COMMITTED])
def test_a_repeated_reserve_answers_the_same_reservation(status: ReservationStatus) -> None:
    reservation = reserved()
    reservation.status = status
    assert reservation.answer_reserve() == StockReserved("o-1", reserved().lines)


def test_a_release_before_the_reserve_leaves_a_tombstone_that_refuses_it() -> None:
    tombstone = Reservation.tombstone("o-1", "payment timed out")
    assert (tombstone.status, tombstone.lines) == (ReservationStatus.RELEASED, ())
    assert tombstone.answer_reserve() == StockRejected("o-1", RELEASED)
    assert tombstone.release("again") == (StockReleased("o-1"), ())
    assert tombstone.reason == "payment timed out"


def test_releasing_returns_the_lines_once() -> None:
    reservation = reserved()
    assert reservation.release("card declined") == (StockReleased("o-1"), reserved().lines)
    assert reservation.status is ReservationStatus.RELEASED
    assert reservation.release("card declined") == (StockReleased("o-1"), ())
    assert reservation.answer_reserve() == StockRejected("o-1", RELEASED)


def test_committing_sells_the_lines_once() -> None:
    reservation = reserved()
    assert reservation.commit() == (StockCommitted("o-1"), reserved().lines)
    assert reservation.status is ReservationStatus.COMMITTED
    assert reservation.commit() == (StockCommitted("o-1"), ())


def test_commit_after_release_and_release_after_commit_are_protocol_errors() -> None:
    released = reserved()
    released.release("declined")
    with pytest.raises(ProtocolViolation):
        released.commit()
    committed = reserved()
    committed.commit()
    with pytest.raises(ProtocolViolation):
        committed.release("too late")
    assert committed.status is ReservationStatus.COMMITTED
