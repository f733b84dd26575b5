"""Throwaway databases for tests: a SQLite file by default, PostgreSQL in Postgres mode.

Postgres mode is selected with ``MKSERVICE_TEST_DB=postgres``; the server is reached through
``MKSERVICE_TEST_POSTGRES_URL`` (default ``postgresql://postgres@127.0.0.1:5432/postgres``), a
superuser connection used only to create and drop. Each test session gets its own prefix; each
service gets its own role (with a password), each test its own database owned by that role, with
``CONNECT`` revoked from ``PUBLIC``. Everything is dropped at the end of the session.
"""

from __future__ import annotations

import asyncio
import os
import re
import secrets
import threading
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy.engine import make_url

MODE_ENV = "MKSERVICE_TEST_DB"
POSTGRES_URL_ENV = "MKSERVICE_TEST_POSTGRES_URL"
DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/postgres"

T = TypeVar("T")


def selected_db_mode() -> str:
    """``sqlite`` (default) or ``postgres``."""
    mode = os.environ.get(MODE_ENV, "sqlite").strip().lower() or "sqlite"
    if mode not in {"sqlite", "postgres"}:
        raise RuntimeError(f"{MODE_ENV} must be 'sqlite' or 'postgres', not {mode!r}")
    return mode


def _run(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion on a private loop, even when a loop is already running."""
    result: dict[str, Any] = {}

    def target() -> None:
        try:
            result["value"] = asyncio.run(coroutine)
        except BaseException as error:  # handed back to the caller below
            result["error"] = error

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if "error" in result:
        raise result["error"]
    return result["value"]


def sqlite_url(folder: Path, name: str) -> str:
    return f"sqlite+aiosqlite:///{folder / f'{name}.db'}"


class PostgresSandbox:
    """Creates per-service roles and per-test databases on a PostgreSQL server; drops them all."""

    def __init__(self, admin_url: str | None = None) -> None:
        self.admin_url = make_url(
            admin_url or os.environ.get(POSTGRES_URL_ENV, DEFAULT_POSTGRES_URL)
        )
        self.prefix = f"mkt_{secrets.token_hex(3)}"
        self._roles: dict[str, str] = {}
        self._databases: list[str] = []
        self._counter = 0

    async def _execute(self, *statements: str) -> None:
        import asyncpg

        connection = await asyncpg.connect(
            user=self.admin_url.username,
            password=self.admin_url.password,
            host=self.admin_url.host or "127.0.0.1",
            port=self.admin_url.port or 5432,
            database=self.admin_url.database or "postgres",
        )
        try:
            for statement in statements:
                await connection.execute(statement)
        finally:
            await connection.close()

    def role(self, service: str) -> tuple[str, str]:
        """The (role, password) of ``service`` in this session, created on first use."""
        name = f"{self.prefix}_{re.sub(r'[^a-z0-9]', '_', service.lower())}"
        if name not in self._roles:
            password = secrets.token_hex(12)
            _run(self._execute(f"CREATE ROLE {name} LOGIN PASSWORD '{password}'"))
            self._roles[name] = password
        return name, self._roles[name]

    def database_url(self, service: str) -> str:
        """A new empty database owned by the service's role; returns its asyncpg URL."""
        role, password = self.role(service)
        self._counter += 1
        database = f"{role}_{self._counter}"
        _run(
            self._execute(
                f"CREATE DATABASE {database} OWNER {role}",
                f"REVOKE CONNECT ON DATABASE {database} FROM PUBLIC",
            )
        )
        self._databases.append(database)
        url = self.admin_url.set(
            drivername="postgresql+asyncpg", username=role, password=password, database=database
        )
        return url.render_as_string(hide_password=False)

    def drop_database(self, url: str) -> None:
        database = make_url(url).database
        if database in self._databases:
            _run(self._execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)"))
            self._databases.remove(database)

    def close(self) -> None:
        statements = [f"DROP DATABASE IF EXISTS {db} WITH (FORCE)" for db in self._databases]
        statements += [f"DROP ROLE IF EXISTS {role}" for role in self._roles]
        if statements:
            _run(self._execute(*statements))
        self._databases.clear()
        self._roles.clear()
