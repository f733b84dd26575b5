"""The load generator: its own process (``python -m mkservice_lab.bench.loadgen``), asyncio and
aiohttp.

It shares the machine's cores with what it measures, so it must cost little: aiohttp's client
(its HTTP parser is compiled) used about a tenth of the CPU of httpx's at 300 requests/s in
open loop, where httpx's connection pool grew costly with many requests in flight (ADR 0013).

Two modes, one client, so the floor and the checkout are driven alike:

- ``open``: requests leave on a fixed schedule (``rate`` per second), whatever the responses
  do; a request's latency runs from its scheduled time, so time spent queueing behind a slow
  server counts (no coordinated omission).
- ``closed``: ``concurrency`` workers each send the next request when the previous answered;
  throughput at saturation.

The spec comes as JSON on stdin; the report goes as JSON to stdout.
"""

from __future__ import annotations

import asyncio
import json
import resource
import subprocess
import sys
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

import aiohttp

from mkservice_lab.bench.stats import percentile, rate


@dataclass(frozen=True)
class LoadSpec:
    """What to send, where, and how."""

    url: str
    bodies: list[dict[str, Any]]
    duration_s: float
    mode: str = "open"  # or "closed"
    rate: float = 0.0  # open mode: arrivals per second
    concurrency: int = 32  # closed mode: requests in flight
    warmup_s: float = 0.0  # closed mode: responses in the first seconds are not counted
    timeout_s: float = 10.0
    max_connections: int = 256
    # Sent with every request (a bearer token, say).
    headers: dict[str, str] = field(default_factory=dict)
    # Every replica's URL when the service runs several: requests go to each in turn (round
    # robin, as a load balancer would); empty means every request goes to ``url``.
    urls: list[str] = field(default_factory=list)

    def url_of(self, index: int) -> str:
        """Where the ``index``-th request goes."""
        return self.urls[index % len(self.urls)] if self.urls else self.url


@dataclass
class LoadReport:
    """What happened: counts, rates and the latency of the requests (milliseconds)."""

    sent: int = 0
    ok: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    elapsed_s: float = 0.0
    throughput_per_s: float | None = None
    send_rate_per_s: float | None = None
    latency_p50_ms: float | None = None
    latency_p99_ms: float | None = None
    max_schedule_lag_ms: float = 0.0
    cpu_s: float = 0.0

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())


class _Recorder:
    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.errors: Counter[str] = Counter()
        self.sent = 0

    async def send(self, client: aiohttp.ClientSession, spec: LoadSpec, started: float) -> None:
        body = spec.bodies[self.sent % len(spec.bodies)]
        url = spec.url_of(self.sent)
        self.sent += 1
        try:
            async with client.post(url, json=body, headers=spec.headers) as response:
                await response.read()
                status = response.status
        except (aiohttp.ClientError, TimeoutError) as error:
            self.errors[type(error).__name__] += 1
            return
        if 200 <= status < 300:
            self.latencies.append((time.perf_counter() - started) * 1000)
        else:
            self.errors[f"HTTP {status}"] += 1


async def _open(spec: LoadSpec, client: aiohttp.ClientSession, report: LoadReport) -> _Recorder:
    recorder = _Recorder()
    interval = 1 / spec.rate
    total = int(spec.rate * spec.duration_s)
    start = time.perf_counter()
    tasks = []
    for index in range(total):
        due = start + index * interval
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        else:
            report.max_schedule_lag_ms = max(report.max_schedule_lag_ms, -delay * 1000)
        tasks.append(asyncio.create_task(recorder.send(client, spec, due)))
    await asyncio.gather(*tasks)
    return recorder


async def _closed(spec: LoadSpec, client: aiohttp.ClientSession, window: list[float]) -> _Recorder:
    recorder = _Recorder()
    counted = _Recorder()
    start = time.perf_counter()
    window_start, stop = start + spec.warmup_s, start + spec.warmup_s + spec.duration_s

    async def worker() -> None:
        while (now := time.perf_counter()) < stop:
            await (counted if now >= window_start else recorder).send(client, spec, now)

    await asyncio.gather(*(worker() for _ in range(spec.concurrency)))
    window[:] = [window_start, time.perf_counter()]
    return counted


async def generate(spec: LoadSpec) -> LoadReport:
    """Send the load described by ``spec``; return what happened."""
    report = LoadReport()
    connector = aiohttp.TCPConnector(limit=spec.max_connections)
    timeout = aiohttp.ClientTimeout(total=spec.timeout_s)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as client:
        started = time.perf_counter()
        if spec.mode == "open":
            recorder = await _open(spec, client, report)
            elapsed = time.perf_counter() - started
            report.send_rate_per_s = rate(recorder.sent, min(elapsed, spec.duration_s))
        else:
            window: list[float] = []
            recorder = await _closed(spec, client, window)
            elapsed = window[1] - window[0]
    report.sent = recorder.sent
    report.ok = len(recorder.latencies)
    report.errors = dict(recorder.errors)
    report.elapsed_s = elapsed
    report.throughput_per_s = rate(report.ok, elapsed)
    report.latency_p50_ms = percentile(recorder.latencies, 50)
    report.latency_p99_ms = percentile(recorder.latencies, 99)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    report.cpu_s = usage.ru_utime + usage.ru_stime
    return report


def run_load(spec: LoadSpec, python: str | None = None) -> LoadReport:
    """Run the load generator in its own process and return its report."""
    completed = subprocess.run(
        [python or sys.executable, "-m", "mkservice_lab.bench.loadgen"],
        input=json.dumps(asdict(spec)),
        capture_output=True,
        text=True,
        timeout=spec.duration_s + spec.warmup_s + spec.timeout_s + 60,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"the load generator failed:\n{completed.stderr[-2000:]}")
    return LoadReport(**json.loads(completed.stdout))


def main() -> None:
    spec = LoadSpec(**json.loads(sys.stdin.read()))
    report = asyncio.run(generate(spec))
    sys.stdout.write(json.dumps(asdict(report)))


if __name__ == "__main__":
    main()
