"""The migrations build exactly the tables the code maps, and can be rolled back."""

from __future__ import annotations

import asyncio

from chassis.migrations import downgrade, upgrade
from chassis.testing.migrations import check_round_trip, inspect_database, table_names
from sqlalchemy import inspect

from inventory.adapters.tables import InventoryBase
from inventory.bootstrap import MIGRATIONS_DIR
from inventory.config import InventorySettings


async def test_upgrade_builds_the_mapped_schema_and_downgrade_removes_it(
    settings: InventorySettings,
) -> None:
    await check_round_trip(MIGRATIONS_DIR, settings.database_url, InventoryBase.metadata)


async def test_the_stock_tables_carry_their_check_constraints(
    migrated: InventorySettings,
) -> None:
    names = await inspect_database(
        migrated.database_url,
        lambda sync: {c["name"] for c in inspect(sync).get_check_constraints("product")},
    )
    assert {
        "ck_product_available_non_negative",
        "ck_product_reserved_non_negative",
        "ck_product_sold_non_negative",
    } <= names


async def test_downgrading_0002_brings_back_the_template_item_table(
    migrated: InventorySettings,
) -> None:
    url = migrated.database_url
    await asyncio.to_thread(downgrade, MIGRATIONS_DIR, url, "0001")
    assert await table_names(url) == {"inventory_item", "outbox_message", "processed_message"}
    await asyncio.to_thread(upgrade, MIGRATIONS_DIR, url)
    assert "inventory_item" not in await table_names(url)
