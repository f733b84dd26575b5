"""The migrations build exactly the tables the code maps, and can be rolled back."""

from __future__ import annotations

import asyncio

from chassis.migrations import downgrade, upgrade
from chassis.testing.migrations import check_round_trip, table_names

from payments.adapters.tables import PaymentsBase
from payments.bootstrap import MIGRATIONS_DIR
from payments.config import PaymentsSettings


async def test_upgrade_builds_the_mapped_schema_and_downgrade_removes_it(
    settings: PaymentsSettings,
) -> None:
    await check_round_trip(MIGRATIONS_DIR, settings.database_url, PaymentsBase.metadata)


async def test_the_payment_migration_replaces_the_example_item_table_and_back(
    settings: PaymentsSettings,
) -> None:
    url = settings.database_url
    await asyncio.to_thread(upgrade, MIGRATIONS_DIR, url, "0001")
    assert "payments_item" in await table_names(url)

    await asyncio.to_thread(upgrade, MIGRATIONS_DIR, url, "0002")
    tables = await table_names(url)
    assert "payment" in tables and "payments_item" not in tables

    await asyncio.to_thread(downgrade, MIGRATIONS_DIR, url, "0001")
    tables = await table_names(url)
    assert "payments_item" in tables and "payment" not in tables
