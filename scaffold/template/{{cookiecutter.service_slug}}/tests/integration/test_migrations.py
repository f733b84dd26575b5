"""The migrations build exactly the tables the code maps, and can be rolled back."""

from __future__ import annotations

import asyncio

from chassis.db import create_engine
from chassis.migrations import downgrade, upgrade
from sqlalchemy import inspect

from {{ cookiecutter.package }}.adapters.tables import {{ cookiecutter.class_prefix }}Base
from {{ cookiecutter.package }}.bootstrap import MIGRATIONS_DIR
from {{ cookiecutter.package }}.config import {{ cookiecutter.class_prefix }}Settings


async def _tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            names = await connection.run_sync(lambda sync: inspect(sync).get_table_names())
    finally:
        await engine.dispose()
    return set(names) - {"alembic_version"}


async def test_upgrade_creates_the_mapped_tables_and_downgrade_removes_them(
    settings: {{ cookiecutter.class_prefix }}Settings,
) -> None:
    url = settings.database_url
    await asyncio.to_thread(upgrade, MIGRATIONS_DIR, url)
    assert await _tables(url) == set({{ cookiecutter.class_prefix }}Base.metadata.tables)

    await asyncio.to_thread(downgrade, MIGRATIONS_DIR, url)
    assert await _tables(url) == set()
    await asyncio.to_thread(upgrade, MIGRATIONS_DIR, url)
    assert await _tables(url) == set({{ cookiecutter.class_prefix }}Base.metadata.tables)
