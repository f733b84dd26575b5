"""Fixtures of the bad-input and security tests: the real services as processes.

``fault_stack`` is one stack per module (nats-server and every service, SQLite files or, with
``MKSERVICE_TEST_DB=postgres``, a database and role per service). ``operator`` is a NATS
connection to its broker that may publish anything, as a misbehaving or malicious client would.
``products`` creates products with plenty of stock and returns their skus.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import httpx
import nats
import pytest
from chassis.testing import PostgresSandbox
from nats.aio.client import Client

from mkservice.stack import Supervisor, discover_services, log_tail

REPO = Path(__file__).resolve().parents[2]
FAULT_ENV = {
    "ORDERS_SAGA_STEP_TIMEOUT_S": "5",
    "ORDERS_SAGA_SWEEP_INTERVAL_S": "0.2",
    "PAYMENTS_GATEWAY_SLOW_DELAY_S": "8",
    # Park a failing message after two deliveries, so a malformed payload is parked in seconds.
    "ORDERS_CONSUMER_MAX_DELIVER": "2",
    "INVENTORY_CONSUMER_MAX_DELIVER": "2",
    "PAYMENTS_CONSUMER_MAX_DELIVER": "2",
}


@pytest.fixture(scope="module")
def fault_stack(
    tmp_path_factory: pytest.TempPathFactory, postgres_sandbox: PostgresSandbox | None
) -> Iterator[Supervisor]:
    specs = discover_services(REPO)
    databases = (
        {s.name: postgres_sandbox.database(s.name) for s in specs} if postgres_sandbox else {}
    )
    urls = {name: database.url for name, database in databases.items()}
    supervisor = Supervisor(
        specs, tmp_path_factory.mktemp("faults"), database_urls=urls, env=FAULT_ENV,
        migration_database_urls={n: d.migration_url for n, d in databases.items()},
        prefer_registered_ports=False, ready_timeout=120, cwd=REPO,
    )  # fmt: skip
    supervisor.start()
    try:
        yield supervisor
    finally:
        supervisor.stop()
        for name, process in supervisor.services.items():
            print(f"----- {name}: {process.log_file}\n{log_tail(process.log_file, 30)}")
        for url in urls.values():
            assert postgres_sandbox is not None
            postgres_sandbox.drop_database(url)


@pytest.fixture
def stack(fault_stack: Supervisor) -> Supervisor:
    fault_stack.ensure_running()
    return fault_stack


@pytest.fixture
async def operator(stack: Supervisor) -> AsyncIterator[Client]:
    connection = await nats.connect(stack.operator_nats_url, name="fault-tests")
    try:
        yield connection
    finally:
        await connection.close()


@pytest.fixture
async def http(stack: Supervisor) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the stack's APIs as the operator (an admin token; its orders are its own)."""
    authorization = {"Authorization": f"Bearer {stack.token('ops', ['admin'])}"}
    async with httpx.AsyncClient(timeout=15, headers=authorization) as client:
        yield client


@pytest.fixture
def products(stack: Supervisor, http: httpx.AsyncClient) -> Callable[[int], Awaitable[list[str]]]:
    async def create(count: int = 1) -> list[str]:
        skus = []
        for _ in range(count):
            sku = f"sku-{secrets.token_hex(4)}"
            body = {"sku": sku, "name": sku, "price_cents": 1_000, "stock": 100}
            response = await http.post(f"{stack.url('inventory')}/products", json=body)
            assert response.status_code == 201, response.text
            skus.append(sku)
        return skus

    return create
