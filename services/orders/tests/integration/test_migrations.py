"""The migrations build exactly the tables the code maps, and can be rolled back."""

from __future__ import annotations

from chassis.testing.migrations import check_round_trip

from orders.adapters.tables import OrdersBase
from orders.bootstrap import MIGRATIONS_DIR
from orders.config import OrdersSettings


async def test_upgrade_builds_the_mapped_schema_and_downgrade_removes_it(
    settings: OrdersSettings,
) -> None:
    await check_round_trip(MIGRATIONS_DIR, settings.database_url, OrdersBase.metadata)
