"""Postgres mode: each service's role is refused by every other service's database."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import asyncpg
import pytest
from chassis.testing import PostgresSandbox
from sqlalchemy.engine import make_url

SERVICES = ("orders", "inventory", "payments")

pytestmark = pytest.mark.postgres


async def connect(url: str, *, database: str | None = None) -> asyncpg.Connection:
    parts = make_url(url)
    return await asyncpg.connect(
        user=parts.username, password=parts.password, host=parts.host or "127.0.0.1",
        port=parts.port or 5432, database=database or parts.database, timeout=10,
    )  # fmt: skip


@pytest.fixture(scope="module")
def databases() -> Iterator[dict[str, str]]:
    sandbox = PostgresSandbox()
    try:
        yield {service: sandbox.database_url(service) for service in SERVICES}
    finally:
        sandbox.close()


async def test_each_role_reaches_its_own_database(databases: dict[str, str]) -> None:
    for url in databases.values():
        connection = await connect(url)
        try:
            assert await connection.fetchval("SELECT 1") == 1
        finally:
            await connection.close()


@pytest.mark.parametrize(("role_of", "database_of"), list(itertools.permutations(SERVICES, 2)))
async def test_refuses_a_role_in_another_services_database(
    databases: dict[str, str], role_of: str, database_of: str
) -> None:
    other = make_url(databases[database_of]).database
    with pytest.raises(asyncpg.InsufficientPrivilegeError, match="permission denied for database"):
        await connect(databases[role_of], database=other)
