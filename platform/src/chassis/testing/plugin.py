"""Pytest fixtures every service's tests use (registered through the ``pytest11`` entry point).

- ``nats_server``: a real nats-server with JetStream on a free port (stop/start/kill it).
- ``nats_cluster``: three real nats-server nodes with routes and JetStream (stop, kill and start
  one node; find a stream's leader), for what only a cluster does.
- ``database_url_for``: ``database_url_for("orders")`` gives a fresh, empty database URL of the
  selected mode (SQLite file, or a PostgreSQL database owned by the service's own role).
- ``test_db_mode``: ``"sqlite"`` or ``"postgres"``.
- ``test_issuer``: a development token issuer (:class:`chassis.testing.issuer.TestIssuer`):
  ``test_issuer.settings()`` points a service at it, ``test_issuer.headers("c-1", ["admin"])``
  authenticates a request.
Tests marked ``postgres`` run only in Postgres mode.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from chassis.auth.dev_issuer import DevIssuer
from chassis.embedded_nats import NatsCluster, NatsServer
from chassis.testing.databases import PostgresSandbox, selected_db_mode, sqlite_url
from chassis.testing.issuer import TestIssuer


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "postgres: runs only when MKSERVICE_TEST_DB=postgres")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if selected_db_mode() == "postgres":
        return
    skip = pytest.mark.skip(reason="Postgres mode only (MKSERVICE_TEST_DB=postgres)")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(name="test_db_mode", scope="session")
def _test_db_mode() -> str:
    return selected_db_mode()


@pytest.fixture(scope="session")
def postgres_sandbox(test_db_mode: str) -> Iterator[PostgresSandbox | None]:
    if test_db_mode != "postgres":
        yield None
        return
    sandbox = PostgresSandbox()
    try:
        yield sandbox
    finally:
        sandbox.close()


@pytest.fixture
def database_url_for(
    tmp_path: Path, postgres_sandbox: PostgresSandbox | None
) -> Iterator[Callable[[str], str]]:
    created: list[str] = []

    def make(service: str) -> str:
        if postgres_sandbox is None:
            url = sqlite_url(tmp_path, f"{service}-{len(created)}")
        else:
            url = postgres_sandbox.database_url(service)
        created.append(url)
        return url

    yield make
    if postgres_sandbox is not None:
        for url in created:
            postgres_sandbox.drop_database(url)


@pytest.fixture
def nats_server(tmp_path: Path) -> Iterator[NatsServer]:
    server = NatsServer(tmp_path / "nats").start()
    try:
        yield server
    finally:
        server.kill()


@pytest.fixture
def nats_cluster(tmp_path: Path) -> Iterator[NatsCluster]:
    cluster = NatsCluster(tmp_path / "nats-cluster").start()
    try:
        yield cluster
    finally:
        cluster.kill()


@pytest.fixture(scope="session")
def _dev_issuer_key() -> DevIssuer:
    return DevIssuer.generate()  # one key for the session: making one costs a little each time


@pytest.fixture
def test_issuer(_dev_issuer_key: DevIssuer, tmp_path: Path) -> TestIssuer:
    return TestIssuer(_dev_issuer_key, tmp_path / "issuer" / "jwks.json")
