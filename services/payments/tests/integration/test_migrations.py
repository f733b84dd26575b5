"""The migrations build exactly the tables the code maps, and can be rolled back."""

from __future__ import annotations

import asyncio
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from chassis.db import create_engine
from chassis.migrations import downgrade, upgrade
from sqlalchemy import inspect

from payments.adapters.tables import PaymentsBase
from payments.bootstrap import MIGRATIONS_DIR
from payments.config import PaymentsSettings


async def _tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            names = await connection.run_sync(lambda sync: inspect(sync).get_table_names())
    finally:
        await engine.dispose()
    return set(names) - {"alembic_version"}


async def _differences(url: str) -> list[Any]:
    """What autogenerate would still write: the schema the code maps minus the migrated one."""
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(
                lambda sync: compare_metadata(
                    MigrationContext.configure(sync, opts={"compare_type": True}),
                    PaymentsBase.metadata,
                )
            )
    finally:
        await engine.dispose()


async def test_upgrade_creates_the_mapped_tables_and_downgrade_removes_them(
    settings: PaymentsSettings,
) -> None:
    url = settings.database_url
    await asyncio.to_thread(upgrade, MIGRATIONS_DIR, url)
    assert await _tables(url) == set(PaymentsBase.metadata.tables)

    await asyncio.to_thread(downgrade, MIGRATIONS_DIR, url)
    assert await _tables(url) == set()
    await asyncio.to_thread(upgrade, MIGRATIONS_DIR, url)
    assert await _tables(url) == set(PaymentsBase.metadata.tables)


async def test_the_migrated_schema_matches_the_mapped_tables(settings: PaymentsSettings) -> None:
    await asyncio.to_thread(upgrade, MIGRATIONS_DIR, settings.database_url)
    assert await _differences(settings.database_url) == []


async def test_the_payment_migration_replaces_the_example_item_table_and_back(
    settings: PaymentsSettings,
) -> None:
    url = settings.database_url
    await asyncio.to_thread(upgrade, MIGRATIONS_DIR, url, "0001")
    assert "payments_item" in await _tables(url)

    await asyncio.to_thread(upgrade, MIGRATIONS_DIR, url, "0002")
    tables = await _tables(url)
    assert "payment" in tables and "payments_item" not in tables

    await asyncio.to_thread(downgrade, MIGRATIONS_DIR, url, "0001")
    tables = await _tables(url)
    assert "payments_item" in tables and "payment" not in tables
