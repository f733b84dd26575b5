"""The bench's load generator against a real HTTP server on a free port: what it sends, what it
counts as accepted and as errors. Counts only; no timing is asserted."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from mkservice_lab.bench.loadgen import LoadSpec, generate


@pytest.fixture
async def orders_url() -> AsyncIterator[str]:
    """A server that accepts orders with an even ``n`` and refuses the others with 409."""
    received: list[int] = []

    async def place(request: web.Request) -> web.Response:
        body = await request.json()
        received.append(body["n"])
        status = 202 if body["n"] % 2 == 0 else 409
        return web.json_response({"n": body["n"]}, status=status)

    app = web.Application()
    app.router.add_post("/orders", place)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    yield f"http://127.0.0.1:{port}/orders"
    await runner.cleanup()


async def test_open_loop_sends_on_schedule_and_counts_answers(orders_url: str) -> None:
    spec = LoadSpec(url=orders_url, bodies=[{"n": n} for n in range(4)], duration_s=1.0, rate=40.0)

    report = await generate(spec)

    assert report.sent == 40
    assert report.ok == 20
    assert report.errors == {"HTTP 409": 20}
    assert report.latency_p50_ms is not None and report.latency_p99_ms is not None


async def test_closed_loop_keeps_its_workers_busy_and_reports_throughput(orders_url: str) -> None:
    spec = LoadSpec(url=orders_url, bodies=[{"n": 0}], duration_s=0.5, mode="closed", concurrency=4)

    report = await generate(spec)

    assert report.ok > 0
    assert report.errors == {}
    assert report.throughput_per_s is not None and report.throughput_per_s > 0


async def test_a_server_that_is_gone_counts_as_errors_not_a_crash() -> None:
    with socket.socket() as probe:  # a port that was free a moment ago: nobody listens there
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    spec = LoadSpec(
        url=f"http://127.0.0.1:{port}/orders", bodies=[{"n": 0}], duration_s=0.5, rate=10.0
    )

    report = await generate(spec)

    assert report.sent == 5
    assert report.ok == 0
    assert sum(report.errors.values()) == 5


async def test_the_load_goes_to_every_replica_in_turn(orders_url: str) -> None:
    counts = {"second": 0}

    async def place(request: web.Request) -> web.Response:
        counts["second"] += 1
        return web.json_response({}, status=202)

    app = web.Application()
    app.router.add_post("/orders", place)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    second = f"http://127.0.0.1:{runner.addresses[0][1]}/orders"
    try:
        # The first replica refuses odd bodies; all bodies are even, so every answer is a 202.
        spec = LoadSpec(
            url=orders_url, urls=[orders_url, second], bodies=[{"n": 0}], duration_s=1.0, rate=20.0
        )
        report = await generate(spec)
    finally:
        await runner.cleanup()

    assert report.sent == 20 and report.ok == 20
    assert counts["second"] == 10
