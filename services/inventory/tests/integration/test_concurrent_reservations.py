"""Many orders racing for the last units: exactly as many win as there are units, and stock
never goes negative, whether the races come through messages or through parallel transactions."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from chassis import Envelope, Incoming, utcnow
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from inventory.adapters.tables import ProductRow
from inventory.bootstrap import InventoryService
from inventory.config import InventorySettings
from inventory.domain import ReserveStock, StockLine, StockReserved
from inventory.main import create_app
from inventory.messaging import contracts as c
from inventory.service_layer import handlers

if TYPE_CHECKING:
    from tests.conftest import Catalog, Saga

ORDERS = 20
UNITS = 5


async def test_twenty_orders_for_the_last_five_units_through_two_instances_reserve_five(
    saga: Saga, catalog: Catalog, migrated: InventorySettings
) -> None:
    """A second instance of the service shares the database and the durable consumer, so the
    commands are split between two consumers that apply them at the same time."""
    await catalog.add("sku-last", stock=UNITS)
    second = create_app(migrated)
    async with second.router.lifespan_context(second):
        commands = await asyncio.gather(
            *(
                saga.send(
                    c.RESERVE_STOCK,
                    {"order_id": f"o-{n}", "lines": [{"sku": "sku-last", "quantity": 1}]},
                )
                for n in range(ORDERS)
            )
        )
        answers = [item.envelope for item in await asyncio.gather(*map(saga.answer, commands))]

    kinds = [answer.type for answer in answers]
    assert kinds.count("inventory.stock-reserved") == UNITS
    assert kinds.count("inventory.stock-rejected") == ORDERS - UNITS
    for answer in answers:
        if answer.type == "inventory.stock-rejected":
            assert answer.data["reason"] == "out of stock"
            assert answer.data["unavailable"][0]["available"] == 0
    assert await catalog.stock("sku-last") == (0, UNITS, 0)


async def test_parallel_transactions_never_reserve_more_than_the_stock(
    catalog: Catalog, service: InventoryService
) -> None:
    """Twenty transactions at once, each running the reserve handler (on PostgreSQL they
    really overlap; the conditional UPDATE lets exactly five take a unit)."""
    await catalog.add("sku-last", stock=UNITS)

    async def reserve(order_id: str) -> object:
        # As the consumer applies a command: in a unit of work answering its envelope.
        envelope = Envelope(type=c.RESERVE_STOCK.type, source="orders", correlation_id=order_id)
        async with service.runtime.database.transaction() as session:
            uow = service.unit_of_work_for(Incoming(envelope, session))
            command = ReserveStock(order_id, (StockLine("sku-last", 1),))
            return await handlers.reserve_stock(command, uow, now=utcnow())

    answers = await asyncio.gather(*(reserve(f"o-{n}") for n in range(ORDERS)))

    assert sum(isinstance(answer, StockReserved) for answer in answers) == UNITS
    assert await catalog.stock("sku-last") == (0, UNITS, 0)
    reservations = [await catalog.client.get(f"/reservations/o-{n}") for n in range(ORDERS)]
    assert [r.status_code for r in reservations].count(200) == UNITS


async def test_the_database_refuses_negative_stock_whatever_the_code_does(
    catalog: Catalog, service: InventoryService
) -> None:
    await catalog.add("sku-last", stock=1)
    for column in ("available", "reserved", "sold"):
        try:
            async with service.unit_of_work() as uow:
                await uow.session.execute(
                    update(ProductRow).where(ProductRow.sku == "sku-last").values({column: -1})
                )
        except IntegrityError:
            pass
        else:
            raise AssertionError(f"{column} = -1 was accepted")
    assert await catalog.stock("sku-last") == (1, 0, 0)
