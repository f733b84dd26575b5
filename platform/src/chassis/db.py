"""The database of one service: an async engine, sessions, and transactions that wake the relay.

SQLite runs in WAL mode through the stdlib driver called inline on the event loop
(:mod:`chassis.sqlite_inline`); every transaction begins with ``BEGIN IMMEDIATE`` so that two
writers queue for the lock instead of failing on a lock upgrade. PostgreSQL runs through asyncpg.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from chassis.sqlite_inline import inline_connector
from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

# Set on a session when it added outbox rows, so the commit can wake the relay.
OUTBOX_PENDING = "chassis.outbox_pending"

_SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=NORMAL",
    "PRAGMA foreign_keys=ON",
)
# How long a statement waits for another process's write lock (a migration, a second instance).
_SQLITE_BUSY_TIMEOUT_S = 30.0


def is_sqlite(url: str) -> bool:
    """True when ``url`` names a SQLite database."""
    return make_url(url).get_backend_name() == "sqlite"


def create_engine(url: str, **options: Any) -> AsyncEngine:
    """An async engine for ``url`` with the pragmas or pool settings its backend wants."""
    if not is_sqlite(url):
        options.setdefault("pool_size", 10)
        options.setdefault("max_overflow", 10)
        options.setdefault("pool_pre_ping", True)
        return create_async_engine(url, **options)

    parsed = make_url(url)
    database = parsed.database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    # sqlite3 run inline (chassis.sqlite_inline) unless the URL carries driver options, which
    # only aiosqlite understands; it then waits for other processes in SQLite's busy handler.
    inline = not parsed.query
    if inline:
        options["async_creator"] = inline_connector(database or ":memory:", _SQLITE_BUSY_TIMEOUT_S)
        pragmas: tuple[str, ...] = _SQLITE_PRAGMAS
    else:
        options["connect_args"] = {"timeout": _SQLITE_BUSY_TIMEOUT_S}
        pragmas = (*_SQLITE_PRAGMAS, f"PRAGMA busy_timeout={int(_SQLITE_BUSY_TIMEOUT_S * 1000)}")
    engine = create_async_engine(url, **options)

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        if not inline:
            # Let SQLAlchemy, not the driver, decide when transactions begin (see _on_begin).
            dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in pragmas:
            cursor.execute(pragma)
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


class Database:
    """One service's engine and session factory.

    ``transaction()`` is the unit of work: everything written inside it, including outbox rows,
    commits together or not at all, and a commit that added outbox rows wakes the relay at once.
    """

    def __init__(self, url: str, **engine_options: Any) -> None:
        self.url = url
        self.engine = create_engine(url, **engine_options)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self._commit_listeners: list[Callable[[], None]] = []
        # SQLite has one writer at a time. Queue this process's transactions on the event loop:
        # the next one starts the moment the previous commits, instead of sleeping in SQLite's
        # busy handler (which backs off up to 100 ms). Other processes still meet the busy timeout.
        self._writer = asyncio.Lock() if is_sqlite(url) else None

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def on_outbox_commit(self, listener: Callable[[], None]) -> None:
        """Call ``listener`` after every commit that added outbox rows."""
        self._commit_listeners.append(listener)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session in a transaction: committed when the block ends, rolled back on error."""
        async with self._one_writer(), self.sessions() as session:
            async with session.begin():
                yield session
            if session.info.pop(OUTBOX_PENDING, False):
                for listener in self._commit_listeners:
                    listener()

    @asynccontextmanager
    async def _one_writer(self) -> AsyncIterator[None]:
        if self._writer is None:
            yield
        else:
            async with self._writer:
                yield

    async def ping(self) -> None:
        """Raise if the database cannot be reached."""
        async with self.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        await self.engine.dispose()
