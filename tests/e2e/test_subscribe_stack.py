"""``mkservice subscribe`` on the real stack: a service made by ``mkservice new`` and subscribed
to ``orders.order-confirmed`` runs beside the checkout, under the NATS user its new grant gives
it, and its handler runs exactly once for a confirmed order.

It runs in a copy of the workspace (the real one is never changed), with the new service's
``src`` on PYTHONPATH (``--no-install``, as tests/scaffold/test_new_service.py does); the stack
is the same :class:`mkservice.stack.Supervisor` as ``mkservice up``'s, on SQLite.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from chassis.testing import eventually
from e2e.conftest import E2E_ENV, kill_processes_of, print_logs

from mkservice.generator.tools import UV_ENV, find_uv
from mkservice.record import read_registry
from mkservice.stack import Supervisor, discover_services
from mkservice.workspace import copy_workspace
from mkservice_lab.client import CheckoutClient, replica_urls

REPO = Path(__file__).resolve().parents[2]
CONSUMER = "zz-e2e-sub-ledger"
PACKAGE = "zz_e2e_sub_ledger"
# The chassis names a durable consumer <service>-<subscription>; its inbox rows carry it.
DURABLE = f"{CONSUMER}-orders-order-confirmed"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not {"orders", "inventory", "payments"} <= {s.slug for s in read_registry(REPO)},
        reason="needs the reference checkout (orders, inventory, payments)",
    ),
]


def _mkservice(repo: Path, *args: str) -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "mkservice", *args],
        cwd=repo,
        env={**os.environ, UV_ENV: os.environ.get(UV_ENV) or find_uv(REPO)},
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr


@pytest.fixture
def subscribed_stack(tmp_path: Path) -> Iterator[Supervisor]:
    """The checkout and the subscribed consumer, running from a copy of the workspace."""
    repo = copy_workspace(REPO, tmp_path / "repo")
    _mkservice(repo, "new", CONSUMER, "--no-install")
    _mkservice(repo, "subscribe", CONSUMER, "orders.order-confirmed")
    source = str(repo / "services" / CONSUMER / "src")
    path = os.pathsep.join(filter(None, [source, os.environ.get("PYTHONPATH")]))
    supervisor = Supervisor(
        discover_services(repo),
        tmp_path / "stack",
        env={**E2E_ENV, "PYTHONPATH": path},
        prefer_registered_ports=False,
        ready_timeout=120,  # four services importing at once on two slow cores
        cwd=repo,
    )
    try:
        yield supervisor.start()
    except BaseException:
        print_logs(supervisor)
        raise
    finally:
        try:
            supervisor.stop()
        finally:
            kill_processes_of(supervisor.run_dir)


def _handled(database: Path) -> list[str]:
    """The ids of the messages the consumer's new route applied (its inbox rows)."""
    if not database.is_file():
        return []
    with sqlite3.connect(database) as connection:
        rows = connection.execute(
            "SELECT message_id FROM processed_message WHERE consumer = ?", (DURABLE,)
        ).fetchall()
    return [row[0] for row in rows]


async def test_a_subscribed_service_handles_a_confirmed_order_once(
    subscribed_stack: Supervisor,
) -> None:
    stack = subscribed_stack
    database = stack.run_dir / "data" / f"{CONSUMER}.db"
    async with CheckoutClient(replica_urls(stack), tokens=stack) as checkout:
        await checkout.create_product("sku-subscribed", stock=3)
        order = await checkout.place_and_wait([{"sku": "sku-subscribed", "quantity": 1}], "tok_ok")
    assert order["status"] == "CONFIRMED", order

    try:
        handled = await eventually(lambda: _handled(database), timeout=60)
        # A while longer: a second delivery of the confirmation would be in the inbox by then.
        await asyncio.sleep(3)
        assert _handled(database) == handled and len(handled) == 1, handled
    except AssertionError:
        print_logs(stack)
        raise
