"""What every service's migration tests check, written once: its migrations build exactly the
tables it maps (names, columns, types, keys), and take them all away again.

``check_round_trip`` is the whole check; ``table_names``, ``schema_differences`` and
``inspect_database`` are its parts, for a service's own tests of one migration.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from chassis.db import create_engine
from chassis.migrations import downgrade, upgrade
from sqlalchemy import Connection, MetaData, inspect

T = TypeVar("T")


async def inspect_database(url: str, look: Callable[[Connection], T]) -> T:
    """``look(connection)`` run on a connection of its own to ``url``."""
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(look)
    finally:
        await engine.dispose()


async def table_names(url: str) -> set[str]:
    """The tables of the database at ``url``, without Alembic's own."""
    names = await inspect_database(url, lambda sync: inspect(sync).get_table_names())
    return set(names) - {"alembic_version"}


async def schema_differences(url: str, metadata: MetaData) -> list[Any]:
    """What autogenerate would still write: the schema ``metadata`` maps minus the database's."""

    def compare(connection: Connection) -> list[Any]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, metadata))

    return await inspect_database(url, compare)


async def check_round_trip(migrations_dir: Path, url: str, metadata: MetaData) -> None:
    """Upgrade to head, downgrade to nothing, upgrade again; raise ``AssertionError`` unless each
    upgrade builds exactly ``metadata``'s tables as it maps them and the downgrade leaves none."""
    await _upgrade_to_mapped(migrations_dir, url, metadata, "the first upgrade")
    await asyncio.to_thread(downgrade, migrations_dir, url)
    left = await table_names(url)
    if left:
        raise AssertionError(f"tables left after downgrading to base: {sorted(left)}")
    await _upgrade_to_mapped(migrations_dir, url, metadata, "upgrading again")


async def _upgrade_to_mapped(migrations_dir: Path, url: str, metadata: MetaData, when: str) -> None:
    await asyncio.to_thread(upgrade, migrations_dir, url)
    mapped, tables = set(metadata.tables), await table_names(url)
    if tables != mapped:
        raise AssertionError(
            f"after {when}: tables missing {sorted(mapped - tables)}, "
            f"tables not mapped {sorted(tables - mapped)}"
        )
    differences = await schema_differences(url, metadata)
    if differences:
        raise AssertionError(f"after {when}, the schema differs from the mapping: {differences}")
