"""The checkout under test: nats-server and the three services as real processes (the local
stack's supervisor), a catalogue with stock enough for any run, and readers of their databases.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from chassis import naming

from mkservice.stack import Supervisor, discover_services
from mkservice_lab.bench.cpu import process_cpu_seconds
from mkservice_lab.client import CheckoutClient, replica_urls

CHECKOUT_SERVICES = ("inventory", "orders", "payments")
# The key nats-server's CPU time is read under (every node's, summed).
BROKER = "nats-server"
# A few skus with stock no run can exhaust: orders must be confirmed, never out of stock.
SKUS = tuple(f"bench-sku-{index}" for index in range(8))
STOCK = 100_000_000
PRICE_CENTS = 1_000


@dataclass
class Rig:
    """The running stack and what the bench needs to know about it."""

    supervisor: Supervisor
    database_urls: dict[str, str]

    @property
    def urls(self) -> dict[str, str]:
        return self.supervisor.urls

    def urls_of(self, service: str) -> list[str]:
        """Every replica's URL of ``service`` (one unless the stack runs replicas)."""
        return self.supervisor.urls_of(service)

    @property
    def nats_url(self) -> str:
        """The operator's URL: the bench reads every service's stream."""
        return self.supervisor.operator_nats_url

    def cpu_seconds(self, *, with_broker: bool = False) -> dict[str, float]:
        """CPU time (user + system, every thread) each service has used so far, summed over its
        replicas, and nats-server's (every node's) with ``with_broker``; empty where ``/proc``
        is not available."""
        pids = {
            name: [process.pid for process in replicas]
            for name, replicas in self.supervisor.replicas.items()
        }
        if with_broker:
            cluster, single = self.supervisor.nats_cluster, self.supervisor.nats
            nodes = cluster.nodes if cluster is not None else [single] if single else []
            pids[BROKER] = [node.pid for node in nodes]
        used: dict[str, float] = {}
        for name, ids in pids.items():
            seconds = [process_cpu_seconds(pid) for pid in ids]
            # A replica not running (or no /proc) would make the sum a lie: leave it out.
            if seconds and None not in seconds:
                used[name] = sum(s for s in seconds if s is not None)
        return used

    @property
    def streams(self) -> dict[str, str]:
        """Each service's stream and its subjects (``INVENTORY`` -> ``inventory.>``)."""
        return {naming.stream_name(spec.name): f"{spec.name}.>" for spec in self.supervisor.specs}


@contextmanager
def checkout_rig(
    repo: Path,
    run_dir: Path,
    *,
    database_urls: Mapping[str, str] | None = None,
    python: str | None = None,
    stop_grace: float = 10.0,
    replicas: int = 1,
    nats_cluster: int = 1,
    env: Mapping[str, str] | None = None,
) -> Iterator[Rig]:
    """Start the stack (SQLite files in ``run_dir`` unless given URLs); stop it on leaving.

    ``python`` replaces the interpreter the services run with (the profiler wraps it, and gives
    the services a longer ``stop_grace`` to write their profiles). ``replicas`` processes of each
    service (PostgreSQL only) and ``nats_cluster`` nats-server nodes give the scaled-out shape;
    ``env`` is given to every service (the tracing variants set OTEL_* there).
    """
    specs = discover_services(repo, only=list(CHECKOUT_SERVICES))
    supervisor = Supervisor(
        specs, run_dir, database_urls=database_urls, cwd=repo, python=python,
        prefer_registered_ports=False, stop_grace=stop_grace, replicas=replicas,
        nats_cluster=nats_cluster, env=env,
    )  # fmt: skip
    with supervisor:
        urls = {spec.name: supervisor.database_url(spec) for spec in specs}
        yield Rig(supervisor, {name: _async_url(url) for name, url in urls.items()})


def _async_url(url: str) -> str:
    from chassis.settings import normalize_database_url

    return normalize_database_url(url)


async def seed(rig: Rig) -> None:
    """Create the bench's products through inventory's API (``POST /products``)."""
    async with CheckoutClient(replica_urls(rig.supervisor), tokens=rig.supervisor) as client:
        for sku in SKUS:
            await client.create_product(sku, STOCK, price_cents=PRICE_CENTS)


def order_bodies() -> list[dict[str, object]]:
    """One body per sku, each an order of one unit, paid with a token that is approved (the
    customer is the bearer token's subject)."""
    return [
        {
            "lines": [{"sku": sku, "quantity": 1}],
            "payment_token": "tok_ok",
        }
        for sku in SKUS
    ]
