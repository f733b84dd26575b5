"""Alembic, driven from code: each service's ``env.py`` calls :func:`run_env`, and services,
tests and the supervisor upgrade with :func:`upgrade`.

The URL always comes from the caller (settings or a test fixture), never from ``alembic.ini``, so
a service can only migrate the database it was configured with.

On PostgreSQL every migration runs under a session advisory lock of the database
(:func:`migration_lock_key`), taken on the connection Alembic migrates with and released after its
commit: N replicas started together (``migrate`` or ``serve --migrate``) queue on it, the first
upgrades, and each of the others then finds the database at head and does nothing (ADR 0020).
SQLite needs no such lock: its migration transaction holds the database's one write lock.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from chassis.db import create_engine
from sqlalchemy import Connection, MetaData, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

log = logging.getLogger(__name__)

URL_OPTION = "sqlalchemy.url"
_TRY_LOCK = text("SELECT pg_try_advisory_lock(:key)")
_LOCK = text("SELECT pg_advisory_lock(:key)")
_UNLOCK = text("SELECT pg_advisory_unlock(:key)")


def alembic_config(migrations_dir: Path, database_url: str) -> Config:
    """An Alembic config for a service's ``migrations`` folder and database."""
    config = Config()
    config.set_main_option("script_location", str(migrations_dir))
    config.set_main_option(URL_OPTION, database_url.replace("%", "%%"))
    return config


def upgrade(migrations_dir: Path, database_url: str, revision: str = "head") -> None:
    """Upgrade the database to ``revision`` (blocking; run it in a thread from async code).

    Safe to start from many processes at once: on PostgreSQL they take turns under the migration
    lock, and the ones after the first find nothing left to do.
    """
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
    """The body of a service's ``migrations/env.py``: online migrations on an async engine,
    under the migration lock on PostgreSQL."""
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
                if connection.dialect.name != "postgresql":
                    await connection.run_sync(migrate)
                    await connection.commit()
                    return
                key = migration_lock_key(url)
                await _lock(connection, key)
                try:
                    await connection.run_sync(migrate)
                    await connection.commit()
                finally:
                    await _unlock(connection, key)
        finally:
            await engine.dispose()

    asyncio.run(run())


def migration_lock_key(database_url: str) -> int:
    """The PostgreSQL advisory lock key migrations of ``database_url`` hold (a positive bigint).

    Hashed from a name of the chassis's own (and the database's), so that it does not meet a
    lock an application takes; PostgreSQL scopes advisory locks to their database anyway.
    """
    name = make_url(database_url).database or ""
    digest = hashlib.blake2b(f"chassis.migrations:{name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") & 0x7FFF_FFFF_FFFF_FFFF


async def _lock(connection: AsyncConnection, key: int) -> None:
    """Take the migration lock (a session lock: it outlives the transactions below it)."""
    taken = (await connection.execute(_TRY_LOCK, {"key": key})).scalar_one()
    if not taken:
        log.info("another process is migrating this database: waiting for it to finish")
        await connection.execute(_LOCK, {"key": key})
    await connection.commit()


async def _unlock(connection: AsyncConnection, key: int) -> None:
    """Release the migration lock after the migration's commit: a replica let in earlier would
    read the old revision and run the same migrations again."""
    # A broken connection lost its session, and the lock with it; keep the migration's error.
    with contextlib.suppress(SQLAlchemyError, OSError):
        await connection.rollback()
        await connection.execute(_UNLOCK, {"key": key})
        await connection.commit()
