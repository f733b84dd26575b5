"""The system under test: nats-server (with one user per service) and every service, as real
processes on the stack's :class:`~mkservice.stack.Supervisor`, with the controls faults need.

The fault suite runs nats-server itself (with the per-service users of
:mod:`mkservice.stack.nats_auth`) and hands the supervisor its URL, so it can stop and start the
broker while the services run. On a NATS cluster the supervisor starts the nodes, as
``mkservice up --nats-cluster 3`` does, and the faults stop and kill them one at a time through
it. Databases are SQLite files in the run folder, or one PostgreSQL database and role per
service (``PostgresSandbox``) in Postgres mode.
"""

from __future__ import annotations

import itertools
import json
import re
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from chassis import faults
from chassis.embedded_nats import NatsCluster, NatsServer, free_port
from chassis.testing import PostgresSandbox

from mkservice.stack import ServiceSpec, Supervisor
from mkservice.stack.nats_auth import OPERATOR_USER, NatsCredentials, grants_for, write_config
from mkservice_lab.chaos.config import ChaosConfig

CHASSIS_CRASH_POINTS = (
    faults.AFTER_COMMIT_BEFORE_PUBLISH,
    faults.AFTER_PUBLISH_BEFORE_MARK,
    faults.AFTER_EFFECT_BEFORE_ACK,
)
# Crash points a service may define in its own code (proposed for the orders saga runner).
SERVICE_CRASH_POINTS = {"orders": ("saga.after_step_before_commit",)}
_CRASH_CALL = re.compile(r"crash_point\(\s*[\"']([\w.\-]+)[\"']")


def crash_points_of(spec: ServiceSpec) -> list[str]:
    """The chassis's crash points, plus those the service's own code reaches."""
    source = "\n".join(p.read_text(encoding="utf-8") for p in (spec.root / "src").rglob("*.py"))
    own = set(_CRASH_CALL.findall(source))
    own |= {point for point in SERVICE_CRASH_POINTS.get(spec.name, ()) if f'"{point}"' in source}
    return [*CHASSIS_CRASH_POINTS, *sorted(own)]


@dataclass
class Cluster:
    """The running system and what a fault can do to it."""

    config: ChaosConfig
    specs: list[ServiceSpec]
    run_dir: Path
    nats: NatsServer | None  # the one server; None on a NATS cluster (the supervisor's)
    credentials: NatsCredentials | None  # None on a NATS cluster: the supervisor makes them
    supervisor: Supervisor
    database_urls: dict[str, str] = field(default_factory=dict)
    sandbox: PostgresSandbox | None = None

    @property
    def nats_cluster(self) -> NatsCluster | None:
        return self.supervisor.nats_cluster

    @property
    def nats_url(self) -> str:
        """Every NATS server's URL, comma-joined."""
        return self.nats.url if self.nats is not None else self.supervisor.nats_url

    @property
    def operator(self) -> tuple[str, str]:
        credentials = self.credentials or self.supervisor.nats_credentials
        assert credentials is not None, "NATS users are written when the stack starts"
        return OPERATOR_USER, credentials.password(OPERATOR_USER)

    def url(self, service: str) -> str:
        return self.supervisor.url(service)

    def round_robin(self, service: str) -> Callable[[], list[str]]:
        """A function giving, at each call, every replica's URL in the order a load balancer
        would try them for one request: the next replica in turn first, then the others (for
        when the first refuses the connection). The replicas are asked each time, since a
        restart may move a port."""
        turns = itertools.count()

        def upstreams() -> list[str]:
            urls = self.supervisor.urls_of(service)
            first = next(turns) % len(urls)
            return urls[first:] + urls[:first]

        return upstreams

    def database_url(self, service: str) -> str:
        spec = next(spec for spec in self.specs if spec.name == service)
        return self.supervisor.database_url(spec)

    def arm(self, service: str, points: list[str], replica: int = 1) -> None:
        """Set (or, with no points, clear) the crash points a replica's next start arms."""
        process = self.supervisor.service(service, replica)
        name = process.spec.env_name("crash_points")
        if points:
            process.env[name] = json.dumps(points)
        else:
            process.env.pop(name, None)

    def start(self) -> None:
        if self.nats is not None:
            self.nats.start()
        self.supervisor.start()

    def stop(self) -> None:
        try:
            self.supervisor.stop()  # and the NATS cluster, when it started one
        finally:
            if self.nats is not None:
                self.nats.stop()
            if self.sandbox is not None:
                self.sandbox.close()

    def restart_postgres(self) -> None:
        """Restart the local PostgreSQL cluster (only with ``--postgres-restart``)."""
        versions = sorted(p.name for p in Path("/etc/postgresql").iterdir())
        subprocess.run(
            ["pg_ctlcluster", "--skip-systemctl-redirect", versions[-1], "main", "restart"],
            check=True, capture_output=True, timeout=120,
        )  # fmt: skip


def service_env(config: ChaosConfig) -> dict[str, str]:
    """Timing every service of the run gets (the slow token settles after the saga gave up)."""
    return {
        "ORDERS_SAGA_STEP_TIMEOUT_S": str(config.step_timeout_s),
        "ORDERS_SAGA_SWEEP_INTERVAL_S": "0.5",
        "PAYMENTS_GATEWAY_SLOW_DELAY_S": str(config.slow_delay_s),
        "PAYMENTS_SETTLE_POLL_INTERVAL_S": "0.5",
    }


def build_cluster(
    config: ChaosConfig, specs: list[ServiceSpec], run_dir: Path, repo: Path
) -> Cluster:
    """Prepare (not start) nats-server with per-service users and the supervised services."""
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "logs").mkdir(exist_ok=True)
    nats, credentials, env = None, None, service_env(config)
    if config.nats_nodes == 1:
        credentials = write_config(run_dir / "nats.conf", grants_for(specs))
        # Its port is fixed here: the services are told it before the server starts.
        nats = NatsServer(
            run_dir / "nats", port=free_port(), config_file=run_dir / "nats.conf",
            log_file=run_dir / "logs" / "nats-server.log",
        )  # fmt: skip
        env |= credentials.service_env({spec.name: spec.env_prefix for spec in specs})
    sandbox = PostgresSandbox() if config.postgres else None
    databases = {spec.name: sandbox.database(spec.name) for spec in specs} if sandbox else {}
    urls = {name: database.url for name, database in databases.items()}
    supervisor = Supervisor(
        specs, run_dir, nats_url=nats.url if nats else None, database_urls=urls, env=env,
        migration_database_urls={n: d.migration_url for n, d in databases.items()},
        prefer_registered_ports=False, ready_timeout=120, stop_grace=10, cwd=repo,
        replicas=config.replicas, nats_cluster=config.nats_nodes,
    )  # fmt: skip
    return Cluster(config, specs, run_dir, nats, credentials, supervisor, urls, sandbox)
