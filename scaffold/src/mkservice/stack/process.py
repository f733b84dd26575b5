"""One service as an operating-system process: ``python -m <package> serve --migrate``.

Each process is started in its own session (so its own process group): a Ctrl-C in the terminal
reaches only mkservice, which then stops the services in order, and a signal sent to the group
reaches anything the service itself started. Each also dies with the process that started it,
whatever kills that one (SIGKILL included: :func:`chassis.processes.spawn`), so no service is left
holding its port.

A service's log file is appended to across runs; what a failure quotes starts where the latest
command began writing, never with an earlier run's errors.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import subprocess
import time
import urllib.request
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path

from chassis.processes import dies_with_parent, spawn

from mkservice.stack.discovery import ServiceSpec

READY_PATH = "/health/ready"


class StackError(Exception):
    """The stack could not start or a step failed; the message names the service."""


def log_tail(log_file: Path, lines: int = 25, *, since: int = 0) -> str:
    """The last ``lines`` lines of a log file from byte ``since`` on, or a note when there are
    none."""
    try:
        with open(log_file, "rb") as log:
            log.seek(since)
            text = log.read().decode("utf-8", errors="replace")
    except FileNotFoundError:
        return f"(no log at {log_file})"
    return "\n".join(text.splitlines()[-lines:]) or "(the log is empty)"


def log_size(log_file: Path) -> int:
    """Where the next line written to ``log_file`` will begin (0 when there is no file yet)."""
    try:
        return log_file.stat().st_size
    except FileNotFoundError:
        return 0


class ServiceProcess:
    """Runs one service; its port, environment and log file stay the same across restarts."""

    def __init__(
        self,
        spec: ServiceSpec,
        *,
        port: int,
        env: Mapping[str, str],
        log_file: Path,
        python: str,
        cwd: Path,
        replica: int = 1,
        migrate: bool = True,
    ) -> None:
        self.spec = spec
        self.replica = replica
        # Only one replica of a service migrates (the first, before the others start).
        self.migrate = migrate
        self.port = port
        self.env = dict(env)
        self.log_file = log_file
        self.python = python
        self.cwd = cwd
        self._process: subprocess.Popen[bytes] | None = None
        self._log_offset = 0  # where the latest command (a step, or serving) began in the log

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def label(self) -> str:
        """``orders`` for a service's first replica, ``orders-2`` for its second, ..."""
        return self.name if self.replica == 1 else f"{self.name}-{self.replica}"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        """The process id (also its process group id), while one was started and not reaped."""
        return self._process.pid if self._process is not None else None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def _command(self, *args: str) -> list[str]:
        return [self.python, "-m", self.spec.package, *args]

    def _environment(self) -> dict[str, str]:
        # PORT is set here, not in __init__, because a port found taken is replaced before a retry.
        return {**os.environ, **self.env, self.spec.env_name("port"): str(self.port)}

    def _open_log(self, args: Sequence[str]) -> int:
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(self.log_file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        self._log_offset = os.fstat(descriptor).st_size
        stamp = datetime.now().isoformat(timespec="seconds")
        header = f"\n=== mkservice {stamp}: python -m {self.spec.package} {' '.join(args)}\n"
        os.write(descriptor, header.encode())
        return descriptor

    def run_step(self, *args: str, timeout: float = 120.0) -> None:
        """Run a one-off command of the service (``migrate``, ``seed``) to completion."""
        log = self._open_log(args)
        try:
            completed = subprocess.run(
                self._command(*args), stdout=log, stderr=subprocess.STDOUT, env=self._environment(),
                cwd=self.cwd, start_new_session=True, timeout=timeout, check=False,
                preexec_fn=dies_with_parent(),
            )  # fmt: skip
        except subprocess.TimeoutExpired:
            what = f"`{' '.join(args)}` took longer than {timeout}s"
            raise StackError(self._failure(what)) from None
        finally:
            os.close(log)
        if completed.returncode != 0:
            raise StackError(
                self._failure(f"`{' '.join(args)}` exited with code {completed.returncode}")
            )

    def start(self) -> None:
        """Start serving (migrating first, unless another replica does); returns at once, see
        :meth:`wait_ready`."""
        if self.running:
            return
        args = ("serve", "--migrate") if self.migrate else ("serve",)
        log = self._open_log(args)
        try:
            self._process = spawn(
                self._command(*args), stdout=log, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, env=self._environment(), cwd=self.cwd,
                start_new_session=True,
            )  # fmt: skip
        finally:
            os.close(log)

    def wait_ready(self, timeout: float) -> None:
        """Poll ``GET /health/ready`` until it answers 200; raise :class:`StackError` when the
        process exits first or ``timeout`` passes."""
        deadline = time.monotonic() + timeout
        while True:
            if self._process is None or self._process.poll() is not None:
                code = None if self._process is None else self._process.returncode
                raise StackError(self._failure(f"exited (code {code}) before it was ready"))
            if self._ready():
                return
            if time.monotonic() > deadline:
                raise StackError(self._failure(f"not ready after {timeout:.0f}s"))
            time.sleep(0.1)

    def _ready(self) -> bool:
        try:
            with urllib.request.urlopen(self.url + READY_PATH, timeout=2) as response:
                return bool(response.status == 200)
        except (OSError, http.client.HTTPException):  # refused, 503 (HTTPError), cut short
            return False

    def port_was_taken(self) -> bool:
        """Whether the latest start ended because something else bound the port first."""
        if self.running:
            return False
        with open(self.log_file, "rb") as log:
            log.seek(self._log_offset)
            return b"address already in use" in log.read().lower()

    def signal(self, sig: signal.Signals) -> None:
        """Send ``sig`` to the service's process group, if it still runs."""
        if self._process is not None and self._process.poll() is None:
            with contextlib.suppress(ProcessLookupError):  # it ended since poll()
                os.killpg(self._process.pid, sig)

    def wait_exit(self, timeout: float) -> bool:
        """Wait for the process to end (reaping it); whether it did within ``timeout``."""
        if self._process is None:
            return True
        try:
            self._process.wait(timeout=max(timeout, 0))
        except subprocess.TimeoutExpired:
            return False
        return True

    def stop(self, grace: float = 10.0) -> None:
        """SIGTERM, as an operator would; SIGKILL if it has not ended after ``grace`` seconds."""
        self.signal(signal.SIGTERM)
        if not self.wait_exit(grace):
            self.kill()

    def kill(self) -> None:
        """SIGKILL, as a crash would (nothing is flushed, no shutdown hook runs)."""
        self.signal(signal.SIGKILL)
        self.wait_exit(30)

    def latest_log(self, lines: int = 25) -> str:
        """The last ``lines`` lines the latest command (serving, or a step) wrote to the log."""
        return log_tail(self.log_file, lines, since=self._log_offset)

    def _failure(self, what: str) -> str:
        tail = self.latest_log()
        return f"service {self.label} {what}. Log {self.log_file} ends with:\n{tail}"
