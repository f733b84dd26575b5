"""Throwaway databases for tests: a SQLite file by default, PostgreSQL in Postgres mode.

Postgres mode is selected with ``MKSERVICE_TEST_DB=postgres``; the server is reached through
``MKSERVICE_TEST_POSTGRES_URL`` (default ``postgresql://postgres@127.0.0.1:5432/postgres``), a
superuser connection used only to create and drop. Each test session gets its own prefix; each
service gets its own two roles (with passwords), as its deploy/postgres-init.sql makes them
(ADR 0025): a migrator, which owns each of its databases and their schema, and a runtime role,
which may only connect and read and write the tables the migrator creates (default privileges),
and no other role may connect. Each test gets its own database. Everything is dropped at the end
of the session.
"""

from __future__ import annotations

import asyncio
import os
import re
import secrets
import threading
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass
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


def grant_statements(database: str, migrator: str, runtime: str) -> tuple[list[str], list[str]]:
    """What makes ``runtime`` a least-privilege role of ``database``, which ``migrator`` owns:
    the statements run in the server's admin database, then those run inside ``database``.
    The same as every service's deploy/postgres-init.sql."""
    on_server = [
        f"CREATE DATABASE {database} OWNER {migrator}",
        # CONNECT and TEMP: no other role may connect, nor make temporary tables here.
        f"REVOKE ALL ON DATABASE {database} FROM PUBLIC",
        f"GRANT CONNECT ON DATABASE {database} TO {runtime}",
    ]
    in_database = [
        # Before PostgreSQL 15 every role could create tables in public.
        "REVOKE ALL ON SCHEMA public FROM PUBLIC",
        f"ALTER SCHEMA public OWNER TO {migrator}",
        f"GRANT USAGE ON SCHEMA public TO {runtime}",
        # For every table and sequence the migrator makes, now or in a later migration.
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {migrator} IN SCHEMA public "
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {runtime}",
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {migrator} IN SCHEMA public "
        f"GRANT USAGE, SELECT ON SEQUENCES TO {runtime}",
    ]
    return on_server, in_database


@dataclass(frozen=True)
class SandboxDatabase:
    """One service's throwaway database, as each of its roles reaches it."""

    url: str  # the runtime role's: the service's <PREFIX>DATABASE_URL
    migration_url: str  # the migrator's: its <PREFIX>MIGRATION_DATABASE_URL


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

    async def _execute(self, *statements: str, database: str | None = None) -> None:
        import asyncpg

        connection = await asyncpg.connect(
            user=self.admin_url.username,
            password=self.admin_url.password,
            host=self.admin_url.host or "127.0.0.1",
            port=self.admin_url.port or 5432,
            database=database or self.admin_url.database or "postgres",
        )
        try:
            for statement in statements:
                await connection.execute(statement)
        finally:
            await connection.close()

    async def _create(self, database: str, on_server: Sequence[str], inside: Sequence[str]) -> None:
        await self._execute(*on_server)
        await self._execute(*inside, database=database)

    def role(self, service: str) -> tuple[str, str]:
        """The (role, password) of ``service``'s runtime role in this session, created on first
        use."""
        return self._role(f"{self.prefix}_{re.sub(r'[^a-z0-9]', '_', service.lower())}")

    def migrator(self, service: str) -> tuple[str, str]:
        """The (role, password) of ``service``'s migrator in this session."""
        return self._role(f"{self.role(service)[0]}_migrator")

    def _role(self, name: str) -> tuple[str, str]:
        if name not in self._roles:
            password = secrets.token_hex(12)
            _run(self._execute(f"CREATE ROLE {name} LOGIN PASSWORD '{password}'"))
            self._roles[name] = password
        return name, self._roles[name]

    def database(self, service: str) -> SandboxDatabase:
        """A new empty database of ``service``: its migrator owns it, its runtime role may read
        and write the tables in it and nothing else."""
        runtime, runtime_password = self.role(service)
        migrator, migrator_password = self.migrator(service)
        self._counter += 1
        database = f"{runtime}_{self._counter}"
        on_server, inside = grant_statements(database, migrator, runtime)
        _run(self._create(database, on_server, inside))
        self._databases.append(database)
        return SandboxDatabase(
            url=self._url(runtime, runtime_password, database),
            migration_url=self._url(migrator, migrator_password, database),
        )

    def database_url(self, service: str) -> str:
        """A new empty database of ``service``, as its migrator (which may do everything in it)
        reaches it: for tests that migrate and serve with one URL. A service run as a process is
        given both of :meth:`database`'s."""
        return self.database(service).migration_url

    def _url(self, role: str, password: str, database: str) -> str:
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
        # After the databases: the default privileges that name a role go with them.
        statements += [f"DROP ROLE IF EXISTS {role}" for role in self._roles]
        if statements:
            _run(self._execute(*statements))
        self._databases.clear()
        self._roles.clear()
