"""``mkservice bench --steady``: the checkout at fixed rates, and what a saga costs at each.

The ramp says where the checkout breaks; this says what a saga costs on the way there. Each
rate is one run of the load generator for ``seconds``; when its sagas have finished, the step
prints their latency, the CPU each process used per saga (the three services and nats-server,
from ``/proc``) and how busy the machine's cores were. A saga costs less CPU as the load rises,
because a backlog is relayed and applied in batches; so at half of the sustained rate the
cores are already busier than half (docs/benchmarks.md).
"""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console

from mkservice_lab.bench.checkout import describe, run_step
from mkservice_lab.bench.cpu import MachineTimes, busy_share, ms_per
from mkservice_lab.bench.dbstats import reader
from mkservice_lab.bench.ramp import StepOutcome, judge
from mkservice_lab.bench.rig import Rig, checkout_rig, seed
from mkservice_lab.bench.stats import rounded

DEFAULT_RATES = (20.0, 50.0, 100.0, 150.0, 200.0)
STEADY_FILE = Path(".bench") / "steady.json"
_DRAIN_S = 120.0
_P99_BOUND_MS = 500.0


@dataclass(frozen=True)
class SteadyStep:
    outcome: StepOutcome
    verdict: str | None
    cpu_ms_per_saga: dict[str, float]
    machine_busy: float | None


async def run_steps(rig: Rig, rates: Sequence[float], seconds: float) -> list[SteadyStep]:
    orders_db = reader(rig.database_urls["orders"])
    steps = []
    try:
        await run_step(rig, orders_db, 5.0, 2.0, "steady-warmup", _DRAIN_S)
        for index, rate in enumerate(rates):
            cpu_before, machine_before = rig.cpu_seconds(with_broker=True), MachineTimes.now()
            outcome = await run_step(rig, orders_db, rate, seconds, f"steady-{index}", _DRAIN_S)
            cpu_after, machine_after = rig.cpu_seconds(with_broker=True), MachineTimes.now()
            steps.append(
                SteadyStep(
                    outcome=outcome,
                    verdict=judge(outcome, _P99_BOUND_MS),
                    cpu_ms_per_saga=ms_per(cpu_before, cpu_after, max(outcome.confirmed, 1)),
                    machine_busy=busy_share(machine_before, machine_after),
                )
            )
    finally:
        await orders_db.dispose()
    return steps


def describe_steady(step: SteadyStep) -> str:
    """A step in two lines: its latency, then what each process spent per saga."""
    cpu = step.cpu_ms_per_saga
    spent = ", ".join(f"{name} {cpu[name]:.1f}" for name in sorted(cpu, key=cpu.__getitem__,
                                                                 reverse=True))  # fmt: skip
    busy = "" if step.machine_busy is None else f"; cores {step.machine_busy:.0%} busy"
    return (
        f"{describe(step.outcome, step.verdict)}\n"
        f"          CPU ms per saga: {spent} (total {sum(cpu.values()):.1f}){busy}"
    )


def run_steady(repo: Path, console: Console, *, rates: Sequence[float], seconds: float) -> int:
    """Run the checkout at each of ``rates`` for ``seconds`` and print what a saga cost."""
    rates = tuple(rates) or DEFAULT_RATES
    console.print(f"The checkout at {', '.join(f'{r:g}' for r in rates)}/s, {seconds:g} s each")
    run_dir = repo / ".bench" / "steady"
    shutil.rmtree(run_dir, ignore_errors=True)  # a fresh stack: the seed creates the products
    with checkout_rig(repo, run_dir) as rig:
        asyncio.run(seed(rig))
        steps = asyncio.run(run_steps(rig, rates, seconds))
    for step in steps:
        console.print(describe_steady(step), highlight=False)
    path = repo / STEADY_FILE
    path.write_text(json.dumps(steady_results(steps), indent=2) + "\n", encoding="utf-8")
    console.print(f"Written to {path}")
    return 0


def steady_results(steps: Sequence[SteadyStep]) -> dict[str, Any]:
    """What ``.bench/steady.json`` holds: each step's figures under its rate."""
    return {
        "steps": [
            {
                "rate": step.outcome.rate,
                "confirmed": step.outcome.confirmed,
                "verdict": step.verdict or "held",
                "saga_p50_ms": rounded(step.outcome.saga_p50_ms),
                "saga_p99_ms": rounded(step.outcome.saga_p99_ms),
                "cpu_ms_per_saga": step.cpu_ms_per_saga,
                "cpu_ms_per_saga_with_broker": round(sum(step.cpu_ms_per_saga.values()), 2),
                "machine_busy": rounded(step.machine_busy, 3),
            }
            for step in steps
        ]
    }
