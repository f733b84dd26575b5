"""The local stack's process supervisor: a nats-server and every service, as real processes.

Used by ``mkservice up``, ``mkservice demo`` and the end-to-end tests. Everything a run writes
lives in its run folder::

    <run_dir>/logs/<service>.log      each service's output (also of its migrate/seed steps)
    <run_dir>/logs/nats-server.log    the embedded nats-server's output
    <run_dir>/data/<service>.db       each service's SQLite file (unless given a database URL)
    <run_dir>/nats/                   JetStream's store
    <run_dir>/nats.conf               its users: one per service, with the grants it declares
    <run_dir>/.lock                   held while the stack runs: one stack per run folder

The nats-server it starts gives every service its own NATS user, allowed only the subjects the
service declares (``mkservice.stack.nats_auth``), as docker-compose.yml does: a subject a service
uses without declaring it fails on the laptop, not first in production. Tools and tests that
look at the streams connect as the operator (:attr:`Supervisor.operator_nats_url`).

Use it as a context manager: leaving the block (normally, on Ctrl-C or on any exception) stops
the services first, then NATS, so nothing is left running.
"""

from __future__ import annotations

import fcntl
import os
import signal
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType

from chassis.embedded_nats import NatsServer

from mkservice.stack.discovery import ServiceSpec
from mkservice.stack.nats_auth import OPERATOR_USER, NatsCredentials, grants_for, write_config
from mkservice.stack.ports import LOCALHOST, PortAllocator
from mkservice.stack.process import ServiceProcess, StackError, log_tail
from mkservice.stack.signals import interrupts_deferred

# Tries at binding a service: a port probed free may be taken before the service binds it.
_BIND_ATTEMPTS = 3


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
        env: Mapping[str, str] | None = None,
        prepare: Mapping[str, Sequence[Sequence[str]]] | None = None,
        prefer_registered_ports: bool = True,
        ready_timeout: float = 60.0,
        stop_grace: float = 10.0,
        python: str | None = None,
        cwd: Path | None = None,
    ) -> None:
        names = {spec.name for spec in services}
        for option, given in (("database URL", database_urls), ("prepare step", prepare)):
            unknown = sorted(set(given or {}) - names)
            if unknown:
                raise StackError(f"{option} for an unknown service: {', '.join(unknown)}")
        self.specs = list(services)
        self.run_dir = run_dir.resolve()
        self.given_nats_url = nats_url
        self.database_urls = dict(database_urls or {})
        self.env = dict(env or {})
        self.prepare = {
            name: [list(step) for step in steps] for name, steps in (prepare or {}).items()
        }
        self.ready_timeout = ready_timeout
        self.stop_grace = stop_grace
        self.python = python or sys.executable
        self.cwd = cwd or Path.cwd()
        self.nats: NatsServer | None = None
        self.nats_credentials: NatsCredentials | None = None  # set when it starts nats-server
        self.services: dict[str, ServiceProcess] = {}
        self._ports = PortAllocator(prefer_registered=prefer_registered_ports)
        self._lock: int | None = None  # the run folder's lock file, held while running

    @property
    def logs_dir(self) -> Path:
        return self.run_dir / "logs"

    @property
    def nats_url(self) -> str:
        if self.given_nats_url is not None:
            return self.given_nats_url
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
        return self.nats_url.replace("nats://", f"nats://{OPERATOR_USER}:{password}@", 1)

    def url(self, service: str) -> str:
        """The base URL of ``service``, e.g. ``http://127.0.0.1:8001``."""
        return self.service(service).url

    @property
    def urls(self) -> dict[str, str]:
        return {name: process.url for name, process in self.services.items()}

    def service(self, name: str) -> ServiceProcess:
        try:
            return self.services[name]
        except KeyError:
            raise StackError(f"no service {name!r} in this stack") from None

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
            self._start_nats()
            if self.services:
                waiting = [p for p in self.services.values() if not p.running]
            else:
                for spec in self.specs:
                    self.services[spec.name] = self._process(spec)
                # Services with nothing to prepare start at once, so their imports and migrations
                # overlap with the others' prepare steps: start-up takes the slowest, not the sum.
                waiting = sorted(self.services.values(), key=lambda p: p.name in self.prepare)
                for process in waiting:
                    for step in self.prepare.get(process.name, []):
                        process.run_step(*step)
            for process in waiting:
                process.start()
            for process in waiting:
                self._wait_ready(process)
        except BaseException:
            self.stop()
            raise
        return self

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

    def _start_nats(self) -> None:
        if self.given_nats_url is not None:
            return
        log_file = self.logs_dir / "nats-server.log"
        if self.nats is None:
            self.logs_dir.mkdir(parents=True, exist_ok=True)
            config = self.run_dir / "nats.conf"
            self.nats_credentials = write_config(config, grants_for(self.specs))
            self.nats = NatsServer(self.run_dir / "nats", config_file=config, log_file=log_file)
        try:
            self.nats.start()
        except (RuntimeError, TimeoutError) as error:
            raise StackError(f"{error}. Log ends with:\n{log_tail(log_file)}") from None

    def _process(self, spec: ServiceSpec) -> ServiceProcess:
        credentials = self.nats_credentials
        env = {
            **self.env,
            **(credentials.service_env({spec.name: spec.env_prefix}) if credentials else {}),
            spec.env_name("database_url"): self.database_url(spec),
            spec.env_name("nats_url"): self.nats_url,
            spec.env_name("host"): LOCALHOST,
            # Anything a service would write by default lands in the run folder, not the repo's.
            "MKSERVICE_DATA_DIR": str(self.run_dir / "data"),
            # Unbuffered, so the log tail shown on a failure holds the last lines written.
            "PYTHONUNBUFFERED": "1",
        }
        (self.run_dir / "data").mkdir(parents=True, exist_ok=True)
        return ServiceProcess(
            spec, port=self._ports.allocate(spec.port), env=env,
            log_file=self.logs_dir / f"{spec.name}.log", python=self.python, cwd=self.cwd,
        )  # fmt: skip

    def _wait_ready(self, process: ServiceProcess) -> None:
        for attempt in range(1, _BIND_ATTEMPTS + 1):
            try:
                process.wait_ready(self.ready_timeout)
                return
            except StackError:
                if attempt == _BIND_ATTEMPTS or not process.port_was_taken():
                    raise
            process.port = self._ports.replace(process.port)
            process.start()

    def start_service(self, name: str) -> None:
        """Start a stopped service again (same port and database) and wait until it is ready."""
        process = self.service(name)
        process.start()
        self._wait_ready(process)

    def stop_service(self, name: str, grace: float | None = None) -> None:
        """Stop one service gracefully (SIGTERM, then SIGKILL after the grace period)."""
        self.service(name).stop(self.stop_grace if grace is None else grace)

    def kill_service(self, name: str) -> None:
        """Kill one service at once (SIGKILL), as a crash would."""
        self.service(name).kill()

    def restart_service(self, name: str) -> None:
        self.stop_service(name)
        self.start_service(name)

    def ensure_running(self) -> None:
        """Start again any service that was stopped, killed or has crashed."""
        for name, process in self.services.items():
            if not process.running:
                self.start_service(name)

    def stop(self) -> None:
        """Stop every service (in parallel, one grace period for all), then NATS."""
        with interrupts_deferred():
            running = [p for p in self.services.values() if p.running]
            for process in running:
                process.signal(signal.SIGTERM)
            deadline = time.monotonic() + self.stop_grace
            for process in running:
                if not process.wait_exit(deadline - time.monotonic()):
                    process.kill()
            if self.nats is not None:
                self.nats.stop()
            if self._lock is not None:
                os.close(self._lock)  # closing releases the flock
                self._lock = None
