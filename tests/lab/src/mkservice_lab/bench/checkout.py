"""The checkout benchmark: open-loop load at rising rates until it breaks, then the latencies
at half of the highest rate that held.

Each step is one run of the load generator (its own process) posting orders on a fixed
schedule; the orders of a step are placed by a customer of their own (the bearer token's
subject), so their sagas can be found in the orders database afterwards. The bench waits for
the sagas to finish (up to a drain deadline) and judges the step (see
:mod:`mkservice_lab.bench.ramp`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from mkservice_lab.bench import dbstats, ramp
from mkservice_lab.bench.cpu import ms_per
from mkservice_lab.bench.lags import Lags, measure_lags
from mkservice_lab.bench.loadgen import LoadSpec, run_load
from mkservice_lab.bench.rig import BROKER, Rig, order_bodies
from mkservice_lab.bench.stats import geometric_rates

Say = Callable[[str], None]


@dataclass(frozen=True)
class CheckoutSettings:
    start_rate: float = 5.0
    min_rate: float = 0.5
    factor: float = 1.3
    max_rate: float = 1_000.0
    # Enough steps to reach max_rate: the ramp must find where the machine breaks (12 steps
    # stopped a fast machine at 89.6/s, every step holding).
    max_steps: int = 40
    step_s: float = 5.0
    half_s: float = 12.0
    drain_timeout_s: float = 5.0
    p99_bound_ms: float = 500.0
    warmup_rate: float = 5.0
    warmup_s: float = 2.0


@dataclass
class CheckoutResult:
    steps: list[tuple[ramp.StepOutcome, str | None]] = field(default_factory=list)
    sustained: float | None = None
    half: ramp.StepOutcome | None = None
    lags: Lags | None = None
    # CPU each service used per saga at half load (all threads; the relay and consumers too).
    cpu_ms_per_saga: dict[str, float] = field(default_factory=dict)
    # ... and nats-server's (every node's), in the same window.
    broker_cpu_ms_per_saga: float | None = None
    # CPU each service uses per second when idle (relay and consumer polls, the sweeper).
    cpu_idle_ms_per_s: dict[str, float] = field(default_factory=dict)


async def _drained(engine: AsyncEngine, timeout: float) -> bool:
    """Wait until every saga finished (stock commit included); whether it did in ``timeout``."""
    deadline = time.monotonic() + timeout
    while await dbstats.unfinished_sagas(engine) > 0:
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.05)
    return True


async def run_step(
    rig: Rig, orders_db: AsyncEngine, rate: float, seconds: float, tag: str, drain_s: float
) -> ramp.StepOutcome:
    """Post orders at ``rate`` per second for ``seconds``; wait for their sagas; measure."""
    spec = LoadSpec(
        url=rig.urls["orders"] + "/orders",
        urls=[url + "/orders" for url in rig.urls_of("orders")],
        bodies=order_bodies(),
        # The step's own customer, so its sagas can be told apart in the orders database.
        headers={"Authorization": f"Bearer {rig.supervisor.token(tag)}"},
        mode="open",
        rate=rate,
        duration_s=seconds,
    )
    report = await asyncio.to_thread(run_load, spec)
    finished = await _drained(orders_db, drain_s)
    sample = await dbstats.saga_sample(orders_db, tag)
    return ramp.StepOutcome(
        rate=rate,
        sent=report.sent,
        accepted=report.ok,
        errors=report.error_count,
        send_rate=report.send_rate_per_s,
        confirmed=sample.confirmed,
        finished_in_time=finished,
        saga_latencies_ms=sample.latencies_ms,
        post_p50_ms=report.latency_p50_ms,
        post_p99_ms=report.latency_p99_ms,
    )


def describe(step: ramp.StepOutcome, verdict: str | None) -> str:
    p50, p99 = step.saga_p50_ms, step.saga_p99_ms
    latency = f"p50 {p50:.0f} ms, p99 {p99:.0f} ms" if p50 is not None and p99 else "no latency"
    return f"{step.rate:7.1f}/s: {step.confirmed}/{step.sent} confirmed, {latency}: " + (
        "held" if verdict is None else f"broke ({verdict})"
    )


async def _ramp(
    rig: Rig, db: AsyncEngine, s: CheckoutSettings, out: CheckoutResult, say: Say
) -> None:
    """Rates up from ``start_rate`` until one breaks; down (halving) if even the first broke;
    then once in between the highest that held and the lowest that broke above it."""

    async def attempt(rate: float, tag: str) -> bool:
        step = await run_step(rig, db, rate, s.step_s, tag, s.drain_timeout_s)
        verdict = ramp.judge(step, s.p99_bound_ms)
        out.steps.append((step, verdict))
        say(describe(step, verdict))
        return verdict is None

    planned = geometric_rates(s.start_rate, s.factor, s.max_rate)[: s.max_steps]
    for index, rate in enumerate(planned):
        if not await attempt(rate, f"bench-step-{index}"):
            break
    else:
        say(f"every rate up to {planned[-1]}/s held: the sustained figure is only a lower bound")
    rate = s.start_rate
    # A broken step's backlog must be gone before the next step can be judged.
    while ramp.sustained(out.steps) is None and rate / 2 >= s.min_rate and await _drained(db, 60):
        rate = round(rate / 2, 2)
        await attempt(rate, f"bench-step-down-{rate}")
    held = ramp.sustained(out.steps)
    extra = ramp.refinement(held, ramp.lowest_broken_above(out.steps, held))
    if extra is not None and await _drained(db, 60):
        await attempt(extra, "bench-step-refine")
    out.sustained = ramp.sustained(out.steps)


async def _idle_cpu(rig: Rig, seconds: float) -> dict[str, float]:
    before = rig.cpu_seconds()
    await asyncio.sleep(seconds)
    return ms_per(before, rig.cpu_seconds(), seconds)


async def run_checkout(rig: Rig, settings: CheckoutSettings, say: Say) -> CheckoutResult:
    """Warm up, ramp, then measure at half of the sustained rate."""
    result = CheckoutResult()
    orders_db = dbstats.reader(rig.database_urls["orders"])
    try:
        await run_step(rig, orders_db, settings.warmup_rate, settings.warmup_s, "bench-warmup",
                       30)  # fmt: skip
        await _ramp(rig, orders_db, settings, result, say)
        if not await _drained(orders_db, 60):
            say("the backlog of the last step did not drain in 60 s; half load not measured")
            return result
        # Nothing held: half of the lowest rate tried still says what latency looks like.
        lowest = min((step.rate for step, _ in result.steps), default=settings.start_rate)
        half_rate = round((result.sustained or lowest) / 2, 2)
        say(f"half load: {half_rate}/s for {settings.half_s:.0f} s")
        result.cpu_idle_ms_per_s = await _idle_cpu(rig, seconds=3.0)
        started, cpu_before = datetime.now(UTC), rig.cpu_seconds(with_broker=True)
        result.half = await run_step(
            rig, orders_db, half_rate, settings.half_s, "bench-half", settings.drain_timeout_s
        )
        ended = datetime.now(UTC) + timedelta(seconds=1)
        cpu_after = rig.cpu_seconds(with_broker=True)
        if result.half.confirmed:
            used = ms_per(cpu_before, cpu_after, result.half.confirmed)
            result.broker_cpu_ms_per_saga = used.pop(BROKER, None)
            result.cpu_ms_per_saga = used
        say(describe(result.half, ramp.judge(result.half, settings.p99_bound_ms)))
        result.lags = await measure_lags(rig, started, ended)
    finally:
        await orders_db.dispose()
    return result
