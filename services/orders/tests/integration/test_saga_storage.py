"""How a saga step reads and writes the order (the repository, on the real database): what the
charge needs comes with the saga in the statement that loads it, and the order row changes only
when what it shows changes."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from chassis import Database, Outbox, table_of
from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncSession

from orders.adapters.tables import OrderRow, messaging_tables
from orders.config import OrdersSettings
from orders.domain import (
    ChargePayment,
    DeadlinePassed,
    OrderLine,
    OrderStatus,
    PaymentCharged,
    PlaceOrder,
    SagaState,
    StockCommitted,
    StockReserved,
)
from orders.messaging.outgoing import message_for
from orders.service_layer.handlers import place_order
from orders.service_layer.unit_of_work import OrdersUnitOfWork

STEP = timedelta(seconds=30)


@pytest.fixture
async def database(migrated: OrdersSettings) -> AsyncIterator[Database]:
    database = Database(migrated.database_url)
    yield database
    await database.dispose()


@pytest.fixture
async def order_id(database: Database) -> str:
    async with database.transaction() as session:
        command = PlaceOrder("c-1", [OrderLine("sku-lamp", 1)], "tok_ok")
        order, _ = await place_order(command, _uow(session), now=datetime.now(UTC))
    return order.id


def _uow(session: AsyncSession) -> OrdersUnitOfWork:
    return OrdersUnitOfWork(session, Outbox(messaging_tables.outbox), STEP, outgoing=message_for)


@contextmanager
def _statements(database: Database) -> Iterator[list[str]]:
    """The kind of each SQL statement run on ``database`` inside the block (the opening of a
    transaction aside: SQLite's ``BEGIN IMMEDIATE`` goes with the first statement)."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        kind = statement.split(None, 1)[0].upper()
        if kind != "BEGIN":
            seen.append(kind)

    engine = database.engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


async def _shown(database: Database, order_id: str) -> tuple[str, int | None, datetime]:
    async with database.transaction() as session:
        orders = table_of(OrderRow)
        query = select(orders.c.status, orders.c.total_cents, orders.c.updated_at).where(
            orders.c.id == order_id
        )
        status, total, updated_at = (await session.execute(query)).one()
    return status, total, updated_at


async def test_a_loaded_saga_brings_what_the_charge_needs_in_one_statement(
    database: Database, order_id: str
) -> None:
    async with database.transaction() as session:
        orders = _uow(session).orders
        with _statements(database) as statements:
            saga = await orders.load_saga(order_id)
        assert statements == ["SELECT"]
        assert saga is not None and saga.state is SagaState.RESERVING_STOCK
        decision = saga.handle(StockReserved(3900), datetime.now(UTC))
    assert decision.commands == [ChargePayment(order_id, 3900, "tok_ok")]


async def test_the_order_row_changes_only_when_its_status_or_total_does(
    database: Database, order_id: str
) -> None:
    placed = await _shown(database, order_id)
    later = datetime.now(UTC) + timedelta(minutes=1)

    async with database.transaction() as session:
        orders = _uow(session).orders
        saga = await orders.load_saga(order_id)
        assert saga is not None
        saga.attempts += 1  # the saga row changes, nothing the order shows does
        with _statements(database) as statements:
            await orders.save_saga(saga, [], later)
        assert statements == ["UPDATE"]  # the saga row only
    assert await _shown(database, order_id) == placed

    async def step(event: Any, now: datetime) -> None:
        async with database.transaction() as session:
            orders = _uow(session).orders
            saga = await orders.load_saga(order_id)
            assert saga is not None
            await orders.save_saga(saga, saga.handle(event, now).timeline, now)

    await step(StockReserved(3900), later)
    assert await _shown(database, order_id) == ("PENDING", 3900, later)

    # Paid: the order is confirmed at the pivot; retrying and finishing the stock commit
    # change nothing the order shows.
    await step(PaymentCharged(3900), later)
    assert await _shown(database, order_id) == ("CONFIRMED", 3900, later)
    await step(DeadlinePassed(), later + STEP * 2)
    await step(StockCommitted(), later + STEP * 3)
    assert await _shown(database, order_id) == ("CONFIRMED", 3900, later)

    async with database.transaction() as session:
        saga = await _uow(session).orders.load_saga(order_id)
    assert saga is not None and saga.state is SagaState.CONFIRMED
    assert saga.order_status is OrderStatus.CONFIRMED
