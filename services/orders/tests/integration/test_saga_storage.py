"""How a saga step reads and writes the order (the repository, on the real database): what the
charge needs comes with the saga, and the order row changes only when what it shows changes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from chassis import Database, Outbox
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from orders.adapters.tables import OrderRow, messaging_tables
from orders.config import OrdersSettings
from orders.domain import OrderLine, SagaState
from orders.service_layer.handlers import PlaceOrder, place_order
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
        order, _ = await place_order(
            PlaceOrder("c-1", [OrderLine("sku-lamp", 1)], "tok_ok"), _uow(session)
        )
    return order.id


def _uow(session: AsyncSession) -> OrdersUnitOfWork:
    return OrdersUnitOfWork(session, Outbox(messaging_tables.outbox), STEP)


async def _shown(database: Database, order_id: str) -> tuple[str, int | None, datetime]:
    async with database.transaction() as session:
        query = select(OrderRow.status, OrderRow.total_cents, OrderRow.updated_at).where(
            OrderRow.id == order_id
        )
        status, total, updated_at = (await session.execute(query)).one()
    return status, total, updated_at


async def test_the_payment_token_is_read_with_the_saga_or_on_its_own(
    database: Database, order_id: str
) -> None:
    async with database.transaction() as session:
        assert await _uow(session).orders.payment_token(order_id) == "tok_ok"
    async with database.transaction() as session:
        orders = _uow(session).orders
        assert await orders.load_saga(order_id) is not None
        assert await orders.payment_token(order_id) == "tok_ok"


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
        await orders.save_saga(saga, [], later)
    assert await _shown(database, order_id) == placed

    async with database.transaction() as session:
        orders = _uow(session).orders
        saga = await orders.load_saga(order_id)
        assert saga is not None
        saga.state, saga.total_cents = SagaState.CHARGING_PAYMENT, 3900
        await orders.save_saga(saga, [], later)
    assert await _shown(database, order_id) == ("PENDING", 3900, later)

    # Paid: the order is confirmed at the pivot; finishing the stock commit changes nothing shown.
    for state in (SagaState.COMMITTING_STOCK, SagaState.CONFIRMED):
        async with database.transaction() as session:
            orders = _uow(session).orders
            saga = await orders.load_saga(order_id)
            assert saga is not None
            saga.state = state
            await orders.save_saga(saga, [], later + timedelta(minutes=1 if state.finished else 0))
    assert await _shown(database, order_id) == ("CONFIRMED", 3900, later)
