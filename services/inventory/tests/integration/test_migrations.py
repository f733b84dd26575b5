"""The migrations build exactly the tables the code maps, and can be rolled back."""

from __future__ import annotations

import asyncio
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from chassis.db import create_engine
from chassis.migrations import downgrade, upgrade
from sqlalchemy import Connection, inspect

from inventory.adapters.tables import InventoryBase
from inventory.bootstrap import MIGRATIONS_DIR
from inventory.config import InventorySettings


async def _inspect(url: str, look: Any) -> Any:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(look)
    finally:
        await engine.dispose()


async def _tables(url: str) -> set[str]:
    names = await _inspect(url, lambda sync: inspect(sync).get_table_names())
    return set(names) - {"alembic_version"}


def _differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, InventoryBase.metadata))


async def test_upgrade_creates_the_mapped_tables_and_downgrade_removes_them(
    settings: InventorySettings,
) -> None:
    url = settings.database_url
    await asyncio.to_thread(upgrade, MIGRATIONS_DIR, url)
    assert await _tables(url) == set(InventoryBase.metadata.tables)

    await asyncio.to_thread(downgrade, MIGRATIONS_DIR, url)
    assert await _tables(url) == set()
    await asyncio.to_thread(upgrade, MIGRATIONS_DIR, url)
    assert await _tables(url) == set(InventoryBase.metadata.tables)


async def test_the_migrated_schema_matches_the_mapped_columns_types_and_keys(
    migrated: InventorySettings,
) -> None:
    assert await _inspect(migrated.database_url, _differences) == []


async def test_the_stock_tables_carry_their_check_constraints(
    migrated: InventorySettings,
) -> None:
    names = await _inspect(
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
    assert await _tables(url) == {"inventory_item", "outbox_message", "processed_message"}
    await asyncio.to_thread(upgrade, MIGRATIONS_DIR, url)
    assert "inventory_item" not in await _tables(url)
