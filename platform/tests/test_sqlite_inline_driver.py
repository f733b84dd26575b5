"""The inline SQLite driver against SQLAlchemy's aiosqlite adapter (ADR 0010, ADR 0018).

The adapter has no public way to tell whether a driver connection is still open: it reads
aiosqlite's private ``Connection._connection`` before each commit and rollback. The inline driver
offers the same attribute; these tests pin that assumption, so an upgrade of SQLAlchemy that
reads something else fails here, by name, instead of somewhere in a saga.
"""

from __future__ import annotations

import inspect
import sqlite3
from pathlib import Path

from chassis.db import Database
from chassis.sqlite_inline import InlineConnection
from sqlalchemy import text
from sqlalchemy.dialects.sqlite.aiosqlite import AsyncAdapt_aiosqlite_connection


def test_sqlalchemy_checks_the_driver_connection_through_the_attribute_we_offer() -> None:
    for method in (
        AsyncAdapt_aiosqlite_connection.commit,
        AsyncAdapt_aiosqlite_connection.rollback,
    ):
        source = inspect.getsource(method)
        assert "self._connection._connection" in source, (
            f"SQLAlchemy's {method.__qualname__} no longer reads `_connection`: revisit "
            "chassis.sqlite_inline.InlineConnection and ADR 0018"
        )
    assert "_connection" in vars(InlineConnection(sqlite3.connect(":memory:"), 0))


async def test_commits_rollbacks_and_close_go_through_the_inline_driver(tmp_path: Path) -> None:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'inline.db'}")
    try:
        async with database.transaction() as session:
            await session.execute(text("CREATE TABLE t (n INTEGER)"))
            await session.execute(text("INSERT INTO t VALUES (1)"))
        try:
            async with database.transaction() as session:
                await session.execute(text("INSERT INTO t VALUES (2)"))
                raise RuntimeError("roll back")
        except RuntimeError:
            pass
        async with database.sessions() as session:
            rows = (await session.execute(text("SELECT n FROM t"))).scalars().all()
        assert rows == [1]
        raw = await database.engine.raw_connection()
        try:
            assert isinstance(raw.driver_connection, InlineConnection)
        finally:
            raw.close()
    finally:
        await database.dispose()
