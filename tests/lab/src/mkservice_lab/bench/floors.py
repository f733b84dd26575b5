"""The request-handling floor: the bare insert app in its own uvicorn process, driven at
saturation (a fixed number of requests in flight) by the same load generator as the checkout."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from chassis.embedded_nats import free_port
from chassis.processes import dies_with_parent

from mkservice_lab.bench.cpu import process_cpu_seconds
from mkservice_lab.bench.loadgen import LoadReport, LoadSpec, run_load


@dataclass(frozen=True)
class FloorSettings:
    """How long and how hard the bare insert app is driven."""

    duration_s: float = 8.0
    warmup_s: float = 2.0
    concurrency: int = 32


@dataclass(frozen=True)
class BareApp:
    """The running bare insert app: where it answers, and its process (for its CPU time)."""

    url: str
    pid: int


@dataclass(frozen=True)
class BareFloor:
    """The load's report, and the server's CPU per request it answered."""

    report: LoadReport
    server_cpu_ms_per_request: float | None


@contextmanager
def bare_app(
    database_url: str, log_file: Path, *, ready_timeout: float = 30.0
) -> Iterator[BareApp]:
    """Run the bare insert app; yields where it runs, stops it (SIGTERM) on leaving."""
    port = free_port()
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with open(log_file, "ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "mkservice_lab.bench.bare_app", database_url, str(port)],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True, preexec_fn=dies_with_parent(),  # no orphan holding its port
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(process, url + "/health/ready", ready_timeout, log_file)
        yield BareApp(url, process.pid)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def _wait_ready(process: subprocess.Popen[bytes], url: str, timeout: float, log_file: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the bare insert app exited; see {log_file}")
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.05)
    raise TimeoutError(f"the bare insert app was not ready after {timeout}s; see {log_file}")


def bare_insert_floor(database_url: str, log_file: Path, settings: FloorSettings) -> BareFloor:
    """Requests per second of one-row inserts at saturation (``settings.concurrency`` in flight),
    and the server's CPU per request.

    The server's CPU is read before and after the whole load, warm-up included, while only the
    window's requests are counted; at saturation the server is as busy in the warm-up as in the
    window, so the window's share of the CPU is its share of the time."""
    with bare_app(database_url, log_file) as app:
        spec = LoadSpec(
            url=app.url + "/rows",
            bodies=[{"name": f"row-{i}"} for i in range(16)],
            mode="closed",
            duration_s=settings.duration_s,
            warmup_s=settings.warmup_s,
            concurrency=settings.concurrency,
        )
        cpu_before = process_cpu_seconds(app.pid)
        report = run_load(spec)
        cpu_after = process_cpu_seconds(app.pid)
    per_request = None
    if cpu_before is not None and cpu_after is not None and report.ok:
        window = settings.duration_s / (settings.duration_s + settings.warmup_s)
        per_request = (cpu_after - cpu_before) * window * 1000 / report.ok
    return BareFloor(report, per_request)
