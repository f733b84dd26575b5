"""The local stack's process supervisor: a nats-server and every service, as real processes.

Used by ``mkservice up``, ``mkservice demo`` and the end-to-end tests. Everything a run writes
lives in its run folder::

    <run_dir>/logs/<service>.log      each service's output (also of its migrate/seed steps)
    <run_dir>/logs/<service>-2.log    its second replica's output (with ``replicas`` > 1), ...
    <run_dir>/logs/nats-server.log    the embedded nats-server's output
    <run_dir>/logs/nats-n0.log        with ``nats_cluster`` > 1: each node's output (n0, n1, ...)
    <run_dir>/logs/console.log        with ``console``: the saga console's output
    <run_dir>/data/<service>.db       each service's SQLite file (unless given a database URL)
    <run_dir>/nats/                   JetStream's store (a folder per node in a cluster)
    <run_dir>/nats.conf               its users: one per service, with the grants it declares
    <run_dir>/.lock                   held while the stack runs: one stack per run folder
    <run_dir>/dev-issuer-key.pem      the token issuer's key, unless one is given (``issuer``)

Tokens: the services check bearer tokens (chassis.auth). The stack serves a development
issuer's JWKS on a free 127.0.0.1 port and points every service at it; :meth:`Supervisor.token`
mints a token the services accept (``mkservice token`` does it with the workspace's key).

Ports: with ``prefer_registered_ports`` (the default) each service gets the port its record
registers. When that port is taken, ``port_wait`` decides: given (``mkservice up``), the stack
waits that long for it and then refuses to start (:class:`PortInUse`), since a service that
silently moves elsewhere is one nobody can reach at the address they know; ``None`` (the demo)
gives the service a free port instead and says so (a warning of the ``mkservice.stack`` logger).
Without ``prefer_registered_ports`` (the tests) every service gets a free port.

Replicas: with ``replicas=N`` every service runs as N processes, all on that service's one
database (so never SQLite: :class:`SqliteIsSingleProcess`). The first replica takes the port
chosen above; the others always take free ports. The first replica migrates before serving, and
the others start once it is ready, so a service's migrations run once. Nothing here spreads
requests over the replicas: ``urls_of`` lists them, and a real deployment puts a load balancer
in front. :attr:`Supervisor.services` holds each service's first replica;
:attr:`Supervisor.replicas` every replica.

NATS cluster: with ``nats_cluster=3`` the stack starts three nats-server nodes with routes
(:class:`chassis.embedded_nats.NatsCluster`), each with the same users config; every service
gets every node's URL (comma-separated ``<PREFIX>NATS_URL``, so its client fails over) and
``<PREFIX>STREAM_REPLICAS`` set to the cluster's size, so its stream survives losing a node.

Console: with ``console=True`` (``mkservice up``, the demo) the saga console starts once every
service is ready (:mod:`mkservice.stack.console_process`); :attr:`Supervisor.console_url` is its
page. It is not one of :attr:`Supervisor.processes`, which are the services.

Every process the stack starts dies with the process that runs the supervisor, whatever kills it
(``PR_SET_PDEATHSIG``; :func:`chassis.processes.spawn`).

The nats-server it starts gives every service its own NATS user, allowed only the subjects the
service declares (``mkservice.stack.nats_auth``), as docker-compose.yml does: a subject a service
uses without declaring it fails on the laptop, not first in production. Tools and tests that
look at the streams connect as the operator (:attr:`Supervisor.operator_nats_url`).

Use it as a context manager: leaving the block (normally, on Ctrl-C or on any exception) stops
the services first, then NATS, so nothing is left running.
"""

from __future__ import annotations

import fcntl
import logging
import os
import signal
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

from chassis.auth import ADMIN_SCOPE
from chassis.auth.dev_issuer import DevIssuer
from chassis.embedded_nats import NatsCluster, NatsServer

from mkservice.stack.console_process import (
    CONSOLE_NAME,
    CONSOLE_PORT,
    CONSOLE_SUBJECT,
    CONSOLE_TOKEN_S,
    console_process,
)
from mkservice.stack.dev_issuer import JwksServer, workspace_issuer
from mkservice.stack.discovery import ServiceSpec
from mkservice.stack.nats_auth import OPERATOR_USER, NatsCredentials, grants_for, write_config
from mkservice.stack.ports import LOCALHOST, PortAllocator, wait_until_free
from mkservice.stack.process import ServiceProcess, StackError, log_size, log_tail
from mkservice.stack.signals import interrupts_deferred

# Tries at binding a service on a free port: a port probed free may be taken before it binds.
_BIND_ATTEMPTS = 3

log = logging.getLogger("mkservice.stack")


class PortInUse(StackError):
    """A service's registered port stayed taken by another program for the whole wait."""

    def __init__(self, service: str, port: int, waited_s: float) -> None:
        self.service = service
        self.port = port
        super().__init__(
            f"port {port} of the service {service} is in use by another program "
            f"(still after {waited_s:g}s)"
        )


class SqliteIsSingleProcess(StackError):
    """Replicas were asked for while some service's database is SQLite, one process's file."""

    def __init__(self, services: Sequence[str]) -> None:
        self.service_names = list(services)
        super().__init__(
            "SQLite is one process per service, so replicas need PostgreSQL for "
            + ", ".join(services)
        )


class Supervisor:
    """Starts, watches and stops the stack. ``prepare`` maps a service to commands run to
    completion before it serves, e.g. ``{"inventory": [["migrate"], ["seed"]]}``."""

    def __init__(
        self,
        services: Sequence[ServiceSpec],
        run_dir: Path,
        *,
        nats_url: str | None = None,
        database_urls: Mapping[str, str] | None = None,
        migration_database_urls: Mapping[str, str] | None = None,
        env: Mapping[str, str] | None = None,
        prepare: Mapping[str, Sequence[Sequence[str]]] | None = None,
        prefer_registered_ports: bool = True,
        port_wait: float | None = None,
        replicas: int = 1,
        nats_cluster: int = 1,
        console: bool = False,
        issuer: DevIssuer | None = None,
        ready_timeout: float = 60.0,
        stop_grace: float = 10.0,
        python: str | None = None,
        cwd: Path | None = None,
    ) -> None:
        names = {spec.name for spec in services}
        for option, given in (
            ("database URL", database_urls),
            ("migration database URL", migration_database_urls),
            ("prepare step", prepare),
        ):
            unknown = sorted(set(given or {}) - names)
            if unknown:
                raise StackError(f"{option} for an unknown service: {', '.join(unknown)}")
        if replicas < 1:
            raise StackError(f"replicas must be at least 1, not {replicas}")
        if nats_cluster < 1:
            raise StackError(f"a NATS cluster has at least 1 node, not {nats_cluster}")
        if nats_cluster > 1 and nats_url is not None:
            raise StackError("a NATS cluster is started only when no NATS URL is given")
        self.specs = list(services)
        self.run_dir = run_dir.resolve()
        self.given_nats_url = nats_url
        self.database_urls = dict(database_urls or {})
        # A service given none migrates with its database URL (chassis settings).
        self.migration_database_urls = dict(migration_database_urls or {})
        self.env = dict(env or {})
        self.prepare = {
            name: [list(step) for step in steps] for name, steps in (prepare or {}).items()
        }
        self.port_wait = port_wait
        self.ready_timeout = ready_timeout
        self.stop_grace = stop_grace
        self.python = python or sys.executable
        self.cwd = cwd or Path.cwd()
        self.nats: NatsServer | None = None
        self.nats_cluster_size = nats_cluster
        self.nats_cluster: NatsCluster | None = None  # set when it starts a cluster
        self.nats_credentials: NatsCredentials | None = None  # set when it starts nats-server
        self.replica_count = replicas
        self.services: dict[str, ServiceProcess] = {}  # each service's first replica
        self.replicas: dict[str, list[ServiceProcess]] = {}
        self.wants_console = console
        self.console: ServiceProcess | None = None  # set when it starts the console
        self.prefer_registered_ports = prefer_registered_ports
        self._issuer = issuer  # made in the run folder on first use when not given
        self._jwks_server: JwksServer | None = None
        self._ports = PortAllocator(prefer_registered=prefer_registered_ports)
        self._lock: int | None = None  # the run folder's lock file, held while running
        if replicas > 1:
            on_sqlite = [spec.name for spec in self.specs if _is_sqlite(self.database_url(spec))]
            if on_sqlite:
                raise SqliteIsSingleProcess(on_sqlite)

    @property
    def logs_dir(self) -> Path:
        return self.run_dir / "logs"

    @property
    def nats_url(self) -> str:
        if self.given_nats_url is not None:
            return self.given_nats_url
        if self.nats_cluster is not None:
            return self.nats_cluster.urls
        if self.nats is None:
            raise StackError("the stack is not started")
        return self.nats.url

    @property
    def operator_nats_url(self) -> str:
        """The NATS URL with the operator's user and password in it (for tools and tests that
        read the streams); the plain URL when NATS was given."""
        if self.nats_credentials is None:
            return self.nats_url
        password = self.nats_credentials.password(OPERATOR_USER)
        # Every URL of a cluster's comma-separated list gets them.
        return self.nats_url.replace("nats://", f"nats://{OPERATOR_USER}:{password}@")

    def url(self, service: str) -> str:
        """The base URL of ``service``, e.g. ``http://127.0.0.1:8001``."""
        return self.service(service).url

    @property
    def urls(self) -> dict[str, str]:
        """Each service's first replica's base URL."""
        return {name: process.url for name, process in self.services.items()}

    def urls_of(self, service: str) -> list[str]:
        """The base URL of every replica of ``service``, the first one first."""
        self.service(service)  # an unknown name fails as it does everywhere else
        return [process.url for process in self.replicas[service]]

    @property
    def processes(self) -> list[ServiceProcess]:
        """Every replica of every service."""
        return [process for replicas in self.replicas.values() for process in replicas]

    def service(self, name: str, replica: int = 1) -> ServiceProcess:
        """Replica ``replica`` (1, 2, ...) of service ``name``."""
        try:
            replicas = self.replicas.get(name) or [self.services[name]]
        except KeyError:
            raise StackError(f"no service {name!r} in this stack") from None
        if not 1 <= replica <= len(replicas):
            raise StackError(f"{name} has {len(replicas)} replicas; there is no replica {replica}")
        return replicas[replica - 1]

    def database_url(self, spec: ServiceSpec) -> str:
        given = self.database_urls.get(spec.name)
        return given or f"sqlite+aiosqlite:///{self.run_dir / 'data' / f'{spec.name}.db'}"

    def __enter__(self) -> Supervisor:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> Supervisor:
        """Start NATS (unless given a URL) and every service; return once all are ready.

        On any failure, or Ctrl-C, what was started is stopped before the error propagates.
        After :meth:`stop`, it starts the same stack again: same ports, databases and store.
        """
        try:
            self._lock_run_dir()
            # Ports first: a port that stays taken stops the stack before anything is started.
            ports = {} if self.services else self._claim_ports()
            self.jwks_server.start()  # the same port on each start: the services were told it
            self._start_nats()
            if self.services:
                waiting = [p for p in self.processes if not p.running]
                self._start_and_wait(waiting)
            else:
                for spec in self.specs:
                    self.replicas[spec.name] = [
                        self._process(spec, port, replica)
                        for replica, port in enumerate(ports[spec.name], start=1)
                    ]
                    self.services[spec.name] = self.replicas[spec.name][0]
                # Services with nothing to prepare start at once, so their imports and migrations
                # overlap with the others' prepare steps: start-up takes the slowest, not the sum.
                first = sorted(self.services.values(), key=lambda p: p.name in self.prepare)
                for process in first:
                    for step in self.prepare.get(process.name, []):
                        process.run_step(*step)
                self._start_and_wait(first)
                # The first replica has migrated: the others serve an up-to-date database.
                self._start_and_wait([p for p in self.processes if p.replica > 1])
            self._start_console()
        except BaseException:
            self.stop()
            raise
        return self

    def _start_and_wait(self, processes: Sequence[ServiceProcess]) -> None:
        for process in processes:
            process.start()
        for process in processes:
            self._wait_ready(process)

    def _lock_run_dir(self) -> None:
        """Refuse a run folder that another running stack uses: two nats-servers on one
        JetStream store, or two services on one SQLite file, fail in confusing ways."""
        if self._lock is not None:
            return
        self.run_dir.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(self.run_dir / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(descriptor)
            raise StackError(f"another stack is running in {self.run_dir}") from None
        self._lock = descriptor

    @property
    def _requires_registered_ports(self) -> bool:
        return self.prefer_registered_ports and self.port_wait is not None

    def _claim_ports(self) -> dict[str, list[int]]:
        """Each service's ports, one per replica: see the module's docstring for which ones."""
        deadline = time.monotonic() + (self.port_wait or 0.0)
        ports: dict[str, list[int]] = {}
        for spec in self.specs:
            ports[spec.name] = [self._first_port(spec, deadline)] + [
                self._ports.free() for _ in range(self.replica_count - 1)
            ]
        return ports

    def _first_port(self, spec: ServiceSpec, deadline: float) -> int:
        if self._requires_registered_ports:
            self._wait_for_port(spec.name, spec.port, deadline)
            return self._ports.give(spec.port)
        port = self._ports.allocate(spec.port)
        if self.prefer_registered_ports and port != spec.port:
            log.warning(
                "%s: its port %d is in use; it serves on %d instead", spec.name, spec.port, port
            )
        return port

    def _wait_for_port(self, service: str, port: int, deadline: float) -> None:
        """Return once ``port`` is free; raise :class:`PortInUse` when it is not by ``deadline``."""
        if wait_until_free(port, time.monotonic()):
            return
        left = deadline - time.monotonic()
        if left > 0:
            log.warning(
                "%s: port %d is in use; waiting up to %.0fs for it to be free", service, port, left
            )
        if not wait_until_free(port, deadline):
            raise PortInUse(service, port, self.port_wait or 0.0)

    def _start_nats(self) -> None:
        if self.given_nats_url is not None:
            return
        if self.nats_cluster_size > 1:
            self._start_nats_cluster()
            return
        log_file = self.logs_dir / "nats-server.log"
        since = log_size(log_file)  # a failure quotes this start's lines only
        if self.nats is None:
            self.logs_dir.mkdir(parents=True, exist_ok=True)
            config = self.run_dir / "nats.conf"
            self.nats_credentials = write_config(config, grants_for(self.specs))
            self.nats = NatsServer(self.run_dir / "nats", config_file=config, log_file=log_file)
        try:
            self.nats.start()
        except (RuntimeError, TimeoutError) as error:
            raise StackError(
                f"{error}. Log ends with:\n{log_tail(log_file, since=since)}"
            ) from None

    def _start_nats_cluster(self) -> None:
        if self.nats_cluster is None:
            self.logs_dir.mkdir(parents=True, exist_ok=True)
            config = self.run_dir / "nats.conf"
            self.nats_credentials = write_config(config, grants_for(self.specs))
            # The same users on every node: a client that fails over logs in as itself.
            self.nats_cluster = NatsCluster(
                self.run_dir / "nats", self.nats_cluster_size,
                config_file=config, logs_dir=self.logs_dir,
            )  # fmt: skip
        logs = [self.logs_dir / f"nats-n{index}.log" for index in range(self.nats_cluster_size)]
        since = [log_size(log) for log in logs]
        try:
            self.nats_cluster.start()
        except (RuntimeError, TimeoutError) as error:
            tails = "\n".join(
                f"{log.name}:\n{log_tail(log, 10, since=offset)}"
                for log, offset in zip(logs, since, strict=True)
            )
            raise StackError(f"{error}. Logs end with:\n{tails}") from None

    def _process(self, spec: ServiceSpec, port: int, replica: int = 1) -> ServiceProcess:
        credentials = self.nats_credentials
        env = {
            # The dev issuer, unless the caller points the services at another one.
            spec.env_name("auth_issuer"): self.issuer.issuer,
            spec.env_name("auth_jwks_url"): self.jwks_server.jwks_url,
            **self.env,
            **(credentials.service_env({spec.name: spec.env_prefix}) if credentials else {}),
            spec.env_name("database_url"): self.database_url(spec),
            **(
                {spec.env_name("migration_database_url"): migration_url}
                if (migration_url := self.migration_database_urls.get(spec.name))
                else {}
            ),
            spec.env_name("nats_url"): self.nats_url,
            spec.env_name("host"): LOCALHOST,
            **(
                {spec.env_name("stream_replicas"): str(self.nats_cluster_size)}
                if self.nats_cluster_size > 1
                else {}
            ),
            # Anything a service would write by default lands in the run folder, not the repo's.
            "MKSERVICE_DATA_DIR": str(self.run_dir / "data"),
            # Unbuffered, so the log tail shown on a failure holds the last lines written.
            "PYTHONUNBUFFERED": "1",
        }
        # Its log files are read by people (and quoted when something fails): text lines,
        # unless the caller asked for JSON.
        log_format = spec.env_name("log_format")
        if log_format not in os.environ and log_format not in self.env:
            env[log_format] = "text"
        (self.run_dir / "data").mkdir(parents=True, exist_ok=True)
        label = spec.name if replica == 1 else f"{spec.name}-{replica}"
        return ServiceProcess(
            spec, port=port, env=env, replica=replica, migrate=replica == 1,
            log_file=self.logs_dir / f"{label}.log", python=self.python, cwd=self.cwd,
        )  # fmt: skip

    def _wait_ready(self, process: ServiceProcess) -> None:
        """Wait until ``process`` is ready; when something else bound its port first, start it
        again: on the same port once that is free (registered ports required), else elsewhere."""
        attempts, deadline = 1, None
        while True:
            try:
                process.wait_ready(self.ready_timeout)
                return
            except StackError:
                if not process.port_was_taken():
                    raise
                if not self._requires_registered_ports and attempts == _BIND_ATTEMPTS:
                    raise
            if self._requires_registered_ports:
                deadline = deadline or time.monotonic() + (self.port_wait or 0.0)
                if time.monotonic() >= deadline:
                    raise PortInUse(process.name, process.port, self.port_wait or 0.0)
                self._wait_for_port(process.name, process.port, deadline)
            else:
                taken, process.port = process.port, self._ports.replace(process.port)
                log.warning("%s: port %d was taken; trying %d", process.label, taken, process.port)
            attempts += 1
            process.start()

    @property
    def issuer(self) -> DevIssuer:
        """The token issuer whose keys the services are given."""
        if self._issuer is None:
            self._issuer = workspace_issuer(self.run_dir)
        return self._issuer

    @property
    def jwks_server(self) -> JwksServer:
        if self._jwks_server is None:
            self._jwks_server = JwksServer(self.issuer)
        return self._jwks_server

    def token(self, subject: str, scopes: Sequence[str] = (), **options: Any) -> str:
        """A bearer token for ``subject`` with ``scopes`` that this stack's services accept."""
        return self.issuer.token(subject, scopes, **options)

    @property
    def console_url(self) -> str | None:
        """The saga console's page, when this stack runs one."""
        return self.console.url if self.console is not None else None

    def _start_console(self) -> None:
        if not self.wants_console:
            return
        if self.console is None:
            port = self._ports.allocate(CONSOLE_PORT) if self.prefer_registered_ports else None
            self.console = console_process(
                port=port or self._ports.free(), service_urls=self.urls, nats_url=self.nats_url,
                credentials=self.nats_credentials, env=self.env, python=self.python,
                service_token=self.token(CONSOLE_SUBJECT, [ADMIN_SCOPE],
                                         expires_in_s=CONSOLE_TOKEN_S),
                log_file=self.logs_dir / f"{CONSOLE_NAME}.log", cwd=self.cwd,
            )  # fmt: skip
        self.console.start()
        self._wait_ready(self.console)

    def start_service(self, name: str, replica: int = 1) -> None:
        """Start a stopped replica again (same port and database) and wait until it is ready."""
        process = self.service(name, replica)
        process.start()
        self._wait_ready(process)

    def stop_service(self, name: str, grace: float | None = None, replica: int = 1) -> None:
        """Stop one replica gracefully (SIGTERM, then SIGKILL after the grace period)."""
        self.service(name, replica).stop(self.stop_grace if grace is None else grace)

    def kill_service(self, name: str, replica: int = 1) -> None:
        """Kill one replica at once (SIGKILL), as a crash would."""
        self.service(name, replica).kill()

    def restart_service(self, name: str, replica: int = 1) -> None:
        self.stop_service(name, replica=replica)
        self.start_service(name, replica)

    def ensure_running(self) -> None:
        """Start again any service that was stopped, killed or has crashed."""
        for process in self.processes:
            if not process.running:
                process.start()
                self._wait_ready(process)

    def stop(self) -> None:
        """Stop every service (in parallel, one grace period for all), then NATS."""
        with interrupts_deferred():
            everything = [*self.processes, *([self.console] if self.console else [])]
            running = [p for p in everything if p.running]
            for process in running:
                process.signal(signal.SIGTERM)
            deadline = time.monotonic() + self.stop_grace
            for process in running:
                if not process.wait_exit(deadline - time.monotonic()):
                    process.kill()
            if self.nats is not None:
                self.nats.stop()
            if self.nats_cluster is not None:
                self.nats_cluster.stop()
            if self._jwks_server is not None:
                self._jwks_server.stop()
            if self._lock is not None:
                os.close(self._lock)  # closing releases the flock
                self._lock = None


def _is_sqlite(url: str) -> bool:
    return url.partition(":")[0].startswith("sqlite")
