"""The migrations build exactly the tables the code maps, and can be rolled back."""

from __future__ import annotations

import asyncio

from chassis.db import create_engine
from chassis.migrations import downgrade, upgrade
from sqlalchemy import inspect

from orders.adapters.tables import OrdersBase
from orders.bootstrap import MIGRATIONS_DIR
from orders.config import OrdersSettings


async def _tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            names = await connection.run_sync(lambda sync: inspect(sync).get_table_names())
    finally:
        await engine.dispose()
    return set(names) - {"alembic_version"}


async def test_upgrade_creates_the_mapped_tables_and_downgrade_removes_them(
    settings: OrdersSettings,
) -> None:
    url = settings.database_url
    await asyncio.to_thread(upgrade, MIGRATIONS_DIR, url)
    assert await _tables(url) == set(OrdersBase.metadata.tables)

    await asyncio.to_thread(downgrade, MIGRATIONS_DIR, url)
    assert await _tables(url) == set()
    await asyncio.to_thread(upgrade, MIGRATIONS_DIR, url)
    assert await _tables(url) == set(OrdersBase.metadata.tables)
