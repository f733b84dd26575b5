"""The time inventory records comes from the clock it was created with
(``create_app(settings, clock=...)``), read once per command by its consumer."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

import pytest
from chassis import table_of
from chassis.testing import ManualClock
from sqlalchemy import select

from inventory.adapters.tables import ReservationRow
from inventory.bootstrap import InventoryService
from inventory.messaging import contracts as c

if TYPE_CHECKING:
    from tests.conftest import Catalog, Saga


@pytest.fixture
def clock(manual_clock: ManualClock) -> ManualClock:
    """This module's service runs on the manual clock."""
    return manual_clock


async def test_a_reservation_is_stamped_with_the_services_clock(
    saga: Saga, catalog: Catalog, service: InventoryService, manual_clock: ManualClock
) -> None:
    reserved_at = manual_clock()
    await catalog.add("sku-lamp", stock=5)
    reserve = {"order_id": "o-1", "lines": [{"sku": "sku-lamp", "quantity": 1}]}
    await saga.request(c.RESERVE_STOCK, reserve)
    manual_clock.advance(seconds=90)
    await saga.request(c.RELEASE_STOCK, {"order_id": "o-1", "reason": "declined"})

    table = table_of(ReservationRow)
    query = select(table.c.created_at, table.c.updated_at).where(table.c.order_id == "o-1")
    async with service.runtime.database.transaction() as session:
        stamps = (await session.execute(query)).one()
    assert tuple(stamps) == (reserved_at, reserved_at + timedelta(seconds=90))
