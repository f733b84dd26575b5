"""Postgres mode: each service has two roles (ADR 0025). Its migrator owns its database and runs
its migrations; the runtime role it serves with reads and writes its tables and can change no
schema; and every role of every other service is refused by this database.

Both ways the roles are made are proven, on a real PostgreSQL: the test mode's
:class:`PostgresSandbox` and each service's own deploy/postgres-init.sql (run through psql, as
the PostgreSQL container runs it).
"""

from __future__ import annotations

import itertools
import os
import secrets
import shutil
import subprocess
import sys
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest
from chassis import naming
from chassis.testing import PostgresSandbox, SandboxDatabase
from sqlalchemy.engine import URL, make_url

REPO = Path(__file__).resolve().parents[2]
SERVICES = ("orders", "inventory", "payments")

pytestmark = pytest.mark.postgres


@dataclass(frozen=True)
class Roles:
    """Each service's database, as its runtime role and its migrator reach it."""

    databases: dict[str, SandboxDatabase]

    def runtime(self, service: str) -> str:
        return self.databases[service].url

    def migrator(self, service: str) -> str:
        return self.databases[service].migration_url


async def connect(url: str, *, database: str | None = None) -> asyncpg.Connection:
    parts = make_url(url)
    return await asyncpg.connect(
        user=parts.username, password=parts.password, host=parts.host or "127.0.0.1",
        port=parts.port or 5432, database=database or parts.database, timeout=10,
    )  # fmt: skip


def migrate(service: str, database: SandboxDatabase) -> None:
    """``python -m <service> migrate`` with both URLs, as the stack and compose start it."""
    prefix = naming.env_prefix(service)
    env = {
        **os.environ,
        f"{prefix}DATABASE_URL": database.url,
        f"{prefix}MIGRATION_DATABASE_URL": database.migration_url,
    }
    done = subprocess.run(
        [sys.executable, "-m", service, "migrate"], env=env, cwd=REPO,
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr


def admin_url() -> URL:
    return PostgresSandbox().admin_url


def from_sandbox() -> Generator[Roles, None, None]:
    sandbox = PostgresSandbox()
    try:
        yield Roles({service: sandbox.database(service) for service in SERVICES})
    finally:
        sandbox.close()


def from_init_scripts() -> Generator[Roles, None, None]:
    """Each service's deploy/postgres-init.sql run by psql as the container runs it, with the
    passwords in the environment; its roles and database keep their real names, so this is
    skipped when the server already has any of them."""
    admin = admin_url()
    if shutil.which("psql") is None:
        pytest.skip("psql is not installed")
    names = [name for service in SERVICES for name in (service, f"{service}_migrator")]
    existing = subprocess.run(
        ["psql", *psql_args(admin), "-Atc", "SELECT rolname FROM pg_roles"],
        capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    if taken := sorted(set(names) & set(existing)):
        pytest.skip(f"this server already has roles named {', '.join(taken)}")
    passwords = {name: secrets.token_urlsafe(18) for name in names}
    env = {**os.environ}
    for service in SERVICES:
        prefix = naming.env_prefix(service)
        env[f"{prefix}DB_PASSWORD"] = passwords[service]
        env[f"{prefix}MIGRATOR_DB_PASSWORD"] = passwords[f"{service}_migrator"]
    try:
        for service in SERVICES:
            script = REPO / "services" / service / "deploy" / "postgres-init.sql"
            subprocess.run(
                ["psql", *psql_args(admin), "-X", "-q", "-f", str(script)],
                env=env, capture_output=True, text=True, check=True,
            )  # fmt: skip

        def url(role: str, service: str) -> str:
            parts = admin.set(
                drivername="postgresql+asyncpg",
                username=role,
                password=passwords[role],
                database=service,
            )
            return parts.render_as_string(hide_password=False)

        yield Roles({s: SandboxDatabase(url(s, s), url(f"{s}_migrator", s)) for s in SERVICES})
    finally:
        drops = [f"DROP DATABASE IF EXISTS {service} WITH (FORCE)" for service in SERVICES]
        drops += [f"DROP ROLE IF EXISTS {name}" for name in names]
        for statement in drops:
            subprocess.run(["psql", *psql_args(admin), "-c", statement], capture_output=True)


def psql_args(admin: URL) -> list[str]:
    return [
        "-h", admin.host or "127.0.0.1", "-p", str(admin.port or 5432),
        "-U", admin.username or "postgres", "-d", admin.database or "postgres",
    ]  # fmt: skip


@pytest.fixture(scope="module", params=["sandbox", "init-scripts"])
def roles(request: pytest.FixtureRequest) -> Iterator[Roles]:
    """Every service's roles and database, migrated by its own `migrate` command."""
    made = from_sandbox() if request.param == "sandbox" else from_init_scripts()
    given = next(made)
    try:
        for service in SERVICES:
            migrate(service, given.databases[service])
        yield given
    finally:
        made.close()


async def tables_of(url: str) -> dict[str, str]:
    """Each table in the public schema, with its owner."""
    connection = await connect(url)
    try:
        rows = await connection.fetch(
            "SELECT tablename, tableowner FROM pg_tables WHERE schemaname = 'public'"
        )
    finally:
        await connection.close()
    return {row["tablename"]: row["tableowner"] for row in rows}


@pytest.mark.parametrize("service", SERVICES)
async def test_migrations_run_as_the_migrator(roles: Roles, service: str) -> None:
    owners = await tables_of(roles.runtime(service))
    migrator = make_url(roles.migrator(service)).username
    assert "outbox_message" in owners and "alembic_version" in owners
    assert set(owners.values()) == {migrator}


@pytest.mark.parametrize("service", SERVICES)
async def test_the_runtime_role_reads_and_writes_every_table(roles: Roles, service: str) -> None:
    connection = await connect(roles.runtime(service))
    try:
        for table in await tables_of(roles.runtime(service)):
            # Privileges are checked even when no row matches.
            await connection.fetchval(f'SELECT count(*) FROM "{table}"')
            await connection.execute(f'DELETE FROM "{table}" WHERE false')
        async with connection.transaction():
            await connection.execute(
                "INSERT INTO processed_message (consumer, message_id, processed_at) "
                "VALUES ('isolation-test', 'm-1', now())"
            )
            await connection.execute(
                "UPDATE processed_message SET consumer = 'isolation' WHERE message_id = 'm-1'"
            )
            await connection.execute("DELETE FROM processed_message WHERE message_id = 'm-1'")
        # The outbox's sequence: an insert without a seq draws from it.
        await connection.execute(
            "INSERT INTO outbox_message (message_id, subject, message_type, aggregate_key, "
            "headers, body, created_at, attempts) "
            "VALUES ('m-2', 's', 't', 'k', '{}', '{}', now(), 0)"
        )
        await connection.execute("DELETE FROM outbox_message WHERE message_id = 'm-2'")
    finally:
        await connection.close()


REFUSED_DDL = {
    "drop table": "DROP TABLE outbox_message",
    "create table": "CREATE TABLE intruder (id int)",
    "alter table": "ALTER TABLE outbox_message ADD COLUMN intruder int",
    "truncate": "TRUNCATE outbox_message",
    "create schema": "CREATE SCHEMA intruder",
    "temporary table": "CREATE TEMPORARY TABLE intruder (id int)",
    "create index": "CREATE INDEX intruder ON outbox_message (subject)",
}


@pytest.mark.parametrize("statement", REFUSED_DDL.values(), ids=REFUSED_DDL.keys())
@pytest.mark.parametrize("service", SERVICES)
async def test_the_runtime_role_changes_no_schema(
    roles: Roles, service: str, statement: str
) -> None:
    connection = await connect(roles.runtime(service))
    try:
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await connection.execute(statement)
    finally:
        await connection.close()


async def test_a_later_migrations_tables_are_the_runtime_roles_too(roles: Roles) -> None:
    # The default privileges the init grants cover a table made after it, as a migration would.
    migrator = await connect(roles.migrator("orders"))
    try:
        await migrator.execute("CREATE TABLE later_table (id serial PRIMARY KEY, note text)")
        runtime = await connect(roles.runtime("orders"))
        try:
            await runtime.execute("INSERT INTO later_table (note) VALUES ('written')")
            assert await runtime.fetchval("SELECT note FROM later_table") == "written"
        finally:
            await runtime.close()
    finally:
        await migrator.execute("DROP TABLE later_table")
        await migrator.close()


@pytest.mark.parametrize(("role_of", "database_of"), list(itertools.permutations(SERVICES, 2)))
@pytest.mark.parametrize("kind", ["runtime", "migrator"])
async def test_refuses_every_role_in_another_services_database(
    roles: Roles, kind: str, role_of: str, database_of: str
) -> None:
    url = roles.runtime(role_of) if kind == "runtime" else roles.migrator(role_of)
    other = make_url(roles.runtime(database_of)).database
    with pytest.raises(asyncpg.InsufficientPrivilegeError, match="permission denied for database"):
        await connect(url, database=other)
