"""SQLite for the async engine without a thread hop per call: the stdlib driver, run inline.

aiosqlite runs every DBAPI call (execute, fetch, commit, close) in a worker thread and wakes the
event loop when it is done: a one-insert transaction is about eight round trips between threads,
and the benchmark profile put a third of a service's CPU in that hand-over (docs/benchmarks.md).
SQLite itself answers in microseconds when nobody else holds its write lock, so this module
gives SQLAlchemy's ``sqlite+aiosqlite`` dialect (through ``create_async_engine``'s public
``async_creator``) a connection with aiosqlite's coroutine API whose calls run sqlite3 directly.

The one call that can wait is taking the write lock (``BEGIN IMMEDIATE``, or a write) while
another *process* holds it: a migration, a second instance. Blocking the event loop there would
stop the whole service, so the connection's busy timeout is zero and a busy statement is retried
here, sleeping on the event loop, until ``busy_timeout_s`` has passed. Writers of the same
process never meet this: ``Database`` queues them on an asyncio lock. A statement that returns
SQLITE_BUSY has changed nothing, so trying it again is safe.

See docs/adr/0010-sqlite-inline-driver.md.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

_FIRST_RETRY_S = 0.001
_LONGEST_RETRY_S = 0.05


def _is_busy(error: sqlite3.OperationalError) -> bool:
    code = getattr(error, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
    return "locked" in str(error) or "busy" in str(error)


async def _retry_busy(call: Callable[[], Any], busy_timeout_s: float) -> Any:
    """``call()``, tried again (sleeping on the loop) while SQLite says another process is busy."""
    deadline: float | None = None
    pause = _FIRST_RETRY_S
    while True:
        try:
            return call()
        except sqlite3.OperationalError as error:
            if not _is_busy(error):
                raise
            now = time.monotonic()
            deadline = deadline if deadline is not None else now + busy_timeout_s
            if now >= deadline:
                raise
            await asyncio.sleep(pause)
            pause = min(pause * 2, _LONGEST_RETRY_S)


class InlineCursor:
    """aiosqlite's ``Cursor`` API over a sqlite3 cursor, without a thread."""

    def __init__(self, cursor: sqlite3.Cursor, busy_timeout_s: float) -> None:
        self._cursor = cursor
        self._busy_timeout_s = busy_timeout_s

    async def __aenter__(self) -> InlineCursor:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._cursor.close()

    async def execute(self, sql: str, parameters: Sequence[Any] | None = None) -> InlineCursor:
        cursor = self._cursor
        if parameters is None:
            await _retry_busy(lambda: cursor.execute(sql), self._busy_timeout_s)
        else:
            await _retry_busy(lambda: cursor.execute(sql, parameters), self._busy_timeout_s)
        return self

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> InlineCursor:
        rows = list(rows)  # a retry must see every row again
        await _retry_busy(lambda: self._cursor.executemany(sql, rows), self._busy_timeout_s)
        return self

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        return self._cursor.fetchmany(size if size is not None else self._cursor.arraysize)

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def close(self) -> None:
        self._cursor.close()

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value


class InlineConnection:
    """aiosqlite's ``Connection`` API over a sqlite3 connection in autocommit mode.

    SQLAlchemy issues ``BEGIN`` itself (``chassis.db`` makes it ``BEGIN IMMEDIATE``), so the
    driver never opens transactions of its own: ``isolation_level`` is ``None`` from the start.
    """

    def __init__(self, connection: sqlite3.Connection, busy_timeout_s: float) -> None:
        self._conn = connection
        # SQLAlchemy's adapter checks ``_connection`` to know the connection is still open: it
        # has no public way to ask (ADR 0018; tests/test_sqlite_inline_driver.py pins it).
        self._connection: sqlite3.Connection | None = connection
        self._busy_timeout_s = busy_timeout_s

    @property
    def isolation_level(self) -> str | None:
        return self._conn.isolation_level

    def cursor(self) -> InlineCursor:
        return InlineCursor(self._conn.cursor(), self._busy_timeout_s)

    async def execute(self, sql: str, parameters: Sequence[Any] | None = None) -> InlineCursor:
        return await self.cursor().execute(sql, parameters)

    async def commit(self) -> None:
        await _retry_busy(self._conn.commit, self._busy_timeout_s)

    async def rollback(self) -> None:
        self._conn.rollback()

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        self._conn.create_function(*args, **kwargs)

    async def close(self) -> None:
        if self._connection is not None:
            self._connection = None
            self._conn.close()

    def stop(self) -> None:
        """Close at once (SQLAlchemy's forced termination)."""
        if self._connection is not None:
            self._connection = None
            self._conn.close()


def inline_connector(path: str, busy_timeout_s: float) -> Callable[[], Any]:
    """An ``async_creator`` for ``create_async_engine``: opens ``path`` as an InlineConnection."""

    async def connect() -> InlineConnection:
        connection = sqlite3.connect(path, timeout=0, isolation_level=None, check_same_thread=False)
        return InlineConnection(connection, busy_timeout_s)

    return connect
