"""Alembic, driven from code: each service's ``env.py`` calls :func:`run_env`, and services,
tests and the supervisor upgrade with :func:`upgrade`.

The URL always comes from the caller (settings or a test fixture), never from ``alembic.ini``, so
a service can only migrate the database it was configured with.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from chassis.db import create_engine
from sqlalchemy import Connection, MetaData
from sqlalchemy.ext.asyncio import AsyncEngine

URL_OPTION = "sqlalchemy.url"


def alembic_config(migrations_dir: Path, database_url: str) -> Config:
    """An Alembic config for a service's ``migrations`` folder and database."""
    config = Config()
    config.set_main_option("script_location", str(migrations_dir))
    config.set_main_option(URL_OPTION, database_url.replace("%", "%%"))
    return config


def upgrade(migrations_dir: Path, database_url: str, revision: str = "head") -> None:
    """Upgrade the database to ``revision`` (blocking; run it in a thread from async code)."""
    command.upgrade(alembic_config(migrations_dir, database_url), revision)


def downgrade(migrations_dir: Path, database_url: str, revision: str = "base") -> None:
    command.downgrade(alembic_config(migrations_dir, database_url), revision)


def head_revision(migrations_dir: Path) -> str | None:
    """The newest revision in a service's migrations folder."""
    config = Config()
    config.set_main_option("script_location", str(migrations_dir))
    return ScriptDirectory.from_config(config).get_current_head()


async def current_revision(engine: AsyncEngine) -> str | None:
    """The revision the database is at, or None when it was never migrated."""
    async with engine.connect() as connection:
        return await connection.run_sync(
            lambda sync: MigrationContext.configure(sync).get_current_revision()
        )


def run_env(target_metadata: MetaData) -> None:
    """The body of a service's ``migrations/env.py``: online migrations on an async engine."""
    url = context.config.get_main_option(URL_OPTION)
    if not url:
        raise RuntimeError(
            "no database URL: run migrations with the service's `migrate` command, "
            "which passes the URL from its settings"
        )

    def migrate(connection: Connection) -> None:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            compare_type=True,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()

    async def run() -> None:
        engine = create_engine(url)
        try:
            async with engine.connect() as connection:
                await connection.run_sync(migrate)
                await connection.commit()
        finally:
            await engine.dispose()

    asyncio.run(run())
