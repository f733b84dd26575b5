"""The handlers against in-memory stores: what each command does to stock and answers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pytest

from inventory.domain import (
    OUT_OF_STOCK,
    RELEASED,
    CommitStock,
    CreateProduct,
    ProductExists,
    ReleaseStock,
    ReservationStatus,
    ReservedLine,
    ReserveStock,
    StockCommitted,
    StockLine,
    StockRejected,
    StockReleased,
    StockReserved,
    Unavailable,
)
from inventory.service_layer import handlers
from inventory.service_layer.handlers import StockContention

if TYPE_CHECKING:
    from tests.unit.conftest import FakeUnitOfWork


def reserve(order_id: str = "o-1", **lines: int) -> ReserveStock:
    skus = lines or {"lamp": 2, "mug": 1}
    return ReserveStock(order_id, tuple(StockLine(f"sku-{s}", q) for s, q in skus.items()))


LINES = (ReservedLine("sku-lamp", 2, 3900), ReservedLine("sku-mug", 1, 1200))
NOW = datetime(2026, 1, 1, tzinfo=UTC)


async def test_reserves_every_line_and_holds_its_stock(uow: FakeUnitOfWork) -> None:
    answer = await handlers.reserve_stock(reserve(), uow, now=NOW)
    assert answer == StockReserved("o-1", LINES)
    assert uow.emitted == [answer]
    assert (uow.stock("sku-lamp"), uow.stock("sku-mug")) == ((3, 2, 0), (0, 1, 0))
    assert uow.reservations.items["o-1"].status is ReservationStatus.RESERVED


async def test_rejects_the_whole_order_and_holds_nothing_when_one_line_is_short(
    uow: FakeUnitOfWork,
) -> None:
    answer = await handlers.reserve_stock(reserve(lamp=1, mug=2), uow, now=NOW)
    assert answer == StockRejected("o-1", OUT_OF_STOCK, (Unavailable("sku-mug", 2, 1),))
    assert uow.emitted == [answer]
    assert (uow.stock("sku-lamp"), uow.stock("sku-mug")) == ((5, 0, 0), (1, 0, 0))
    assert uow.reservations.items == {}


async def test_a_repeated_reserve_answers_the_same_and_takes_nothing_more(
    uow: FakeUnitOfWork,
) -> None:
    first = await handlers.reserve_stock(reserve(), uow, now=NOW)
    again = await handlers.reserve_stock(reserve(), uow, now=NOW)
    assert again == first
    assert uow.emitted == [first, first]  # each command is answered
    assert uow.stock("sku-lamp") == (3, 2, 0)


async def test_decides_again_on_fresh_stock_after_losing_a_race(uow: FakeUnitOfWork) -> None:
    uow.products.races_to_lose = 1
    assert await handlers.reserve_stock(reserve(), uow, now=NOW) == StockReserved("o-1", LINES)
    uow.products.races_to_lose = handlers.MAX_RESERVE_ATTEMPTS
    with pytest.raises(StockContention):
        await handlers.reserve_stock(reserve("o-2", lamp=1), uow, now=NOW)
    assert "o-2" not in uow.reservations.items


async def test_releases_stock_when_the_saga_compensates(uow: FakeUnitOfWork) -> None:
    await handlers.reserve_stock(reserve(), uow, now=NOW)
    release = ReleaseStock("o-1", "card declined")
    assert await handlers.release_stock(release, uow, now=NOW) == StockReleased("o-1")
    assert await handlers.release_stock(release, uow, now=NOW) == StockReleased("o-1")
    assert (uow.stock("sku-lamp"), uow.stock("sku-mug")) == ((5, 0, 0), (1, 0, 0))
    assert uow.reservations.items["o-1"].reason == "card declined"


async def test_a_release_before_the_reserve_makes_the_late_reserve_rejected(
    uow: FakeUnitOfWork,
) -> None:
    released = await handlers.release_stock(ReleaseStock("o-1", "timed out"), uow, now=NOW)
    assert released == StockReleased("o-1")
    assert await handlers.reserve_stock(reserve(), uow, now=NOW) == StockRejected("o-1", RELEASED)
    assert uow.stock("sku-lamp") == (5, 0, 0)


async def test_commit_moves_reserved_stock_to_sold_once(uow: FakeUnitOfWork) -> None:
    await handlers.reserve_stock(reserve(), uow, now=NOW)
    assert await handlers.commit_stock(CommitStock("o-1"), uow, now=NOW) == StockCommitted("o-1")
    assert await handlers.commit_stock(CommitStock("o-1"), uow, now=NOW) == StockCommitted("o-1")
    assert (uow.stock("sku-lamp"), uow.stock("sku-mug")) == ((3, 0, 2), (0, 0, 1))


async def test_commit_of_a_released_or_unknown_reservation_answers_nothing(
    uow: FakeUnitOfWork,
) -> None:
    await handlers.release_stock(ReleaseStock("o-1", "declined"), uow, now=NOW)
    assert await handlers.commit_stock(CommitStock("o-1"), uow, now=NOW) is None
    assert await handlers.commit_stock(CommitStock("o-unknown"), uow, now=NOW) is None
    assert uow.emitted == [StockReleased("o-1")]  # the release's answer only
    assert uow.reservations.items["o-1"].status is ReservationStatus.RELEASED


async def test_release_after_commit_answers_nothing_and_keeps_the_sale(
    uow: FakeUnitOfWork,
) -> None:
    await handlers.reserve_stock(reserve(), uow, now=NOW)
    await handlers.commit_stock(CommitStock("o-1"), uow, now=NOW)
    emitted = list(uow.emitted)
    assert await handlers.release_stock(ReleaseStock("o-1", "late"), uow, now=NOW) is None
    assert uow.emitted == emitted
    assert uow.stock("sku-lamp") == (3, 0, 2)


async def test_a_reservation_is_stamped_with_the_time_its_caller_passed(
    uow: FakeUnitOfWork,
) -> None:
    await handlers.reserve_stock(reserve(), uow, now=NOW)
    assert uow.reservations.written_at["o-1"] == NOW
    later = NOW + timedelta(minutes=5)
    await handlers.release_stock(ReleaseStock("o-1", "declined"), uow, now=later)
    assert uow.reservations.written_at["o-1"] == later


async def test_refuses_to_create_a_product_whose_sku_exists(uow: FakeUnitOfWork) -> None:
    with pytest.raises(ProductExists):
        await handlers.create_product(CreateProduct("sku-lamp", "Another lamp", 100, 1), uow)
    created = await handlers.create_product(CreateProduct("sku-rug", "Rug", 9900, 3), uow)
    assert uow.stock(created.sku) == (3, 0, 0)
