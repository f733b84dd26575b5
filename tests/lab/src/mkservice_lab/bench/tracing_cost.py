"""``mkservice bench --steady --tracing``: what tracing costs a saga, measured in one run.

Three variants of the same checkout at the same fixed rates: tracing off (no OTLP endpoint: the
default), on with 10% of the traces sampled, on with every trace. Each variant gets a fresh
stack whose services export over OTLP/HTTP to a real receiver in this process
(:class:`chassis.testing.otlp.OtlpReceiver`), so the export's own cost is counted in the
services' CPU. The variants run twice, in the order off, 10%, 100%, 100%, 10%, off, so that a
machine growing busier over the run does not favour one of them; each variant's figure is the
mean of its two runs. The ratio against "off" is the cost (issue 14's target: at most 1.15 at
100%).
"""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from chassis.testing.otlp import OtlpReceiver
from rich.console import Console

from mkservice_lab.bench.rig import checkout_rig, seed
from mkservice_lab.bench.steady import SteadyStep, run_steps

DEFAULT_RATES = (20.0,)


@dataclass(frozen=True)
class Variant:
    name: str
    env: dict[str, str]  # besides the endpoint, which only the traced variants get


VARIANTS = (
    Variant("off", {}),
    Variant(
        "10%", {"OTEL_TRACES_SAMPLER": "parentbased_traceidratio", "OTEL_TRACES_SAMPLER_ARG": "0.1"}
    ),
    Variant("100%", {"OTEL_TRACES_SAMPLER": "parentbased_always_on"}),
)
ORDER = (0, 1, 2, 2, 1, 0)


def _cpu_per_saga(steps: Sequence[SteadyStep]) -> float:
    """CPU ms per confirmed saga over every step, the services and nats-server together."""
    totals = [sum(step.cpu_ms_per_saga.values()) * max(step.outcome.confirmed, 1) for step in steps]
    confirmed = sum(max(step.outcome.confirmed, 1) for step in steps)
    return sum(totals) / confirmed


def run_tracing_cost(
    repo: Path, console: Console, *, rates: Sequence[float], seconds: float
) -> int:
    """Run each variant twice at ``rates``; print and write (.bench/tracing.json) the cost."""
    rates = tuple(rates) or DEFAULT_RATES
    console.print(
        f"Tracing off, 10% and 100% at {', '.join(f'{r:g}' for r in rates)}/s, {seconds:g} s "
        "each, in the order off, 10%, 100%, 100%, 10%, off"
    )
    measured: dict[str, list[float]] = {variant.name: [] for variant in VARIANTS}
    spans: dict[str, int] = {variant.name: 0 for variant in VARIANTS}
    with OtlpReceiver() as receiver:
        for run, index in enumerate(ORDER):
            variant = VARIANTS[index]
            env = dict(variant.env)
            if variant.name != "off":
                env |= {"OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint}
            run_dir = repo / ".bench" / "tracing" / f"run-{run}"
            shutil.rmtree(run_dir, ignore_errors=True)
            before = len(receiver.snapshot())
            with checkout_rig(repo, run_dir, env=env) as rig:
                asyncio.run(seed(rig))
                steps = asyncio.run(run_steps(rig, rates, seconds))
            spans[variant.name] += len(receiver.snapshot()) - before
            cost = _cpu_per_saga(steps)
            measured[variant.name].append(cost)
            console.print(f"  {variant.name:>4}: {cost:.1f} ms CPU per saga", highlight=False)
    means = {name: sum(values) / len(values) for name, values in measured.items()}
    ratios = {name: means[name] / means["off"] for name in means}
    results: dict[str, object] = {
        "rates": list(rates),
        "seconds": seconds,
        "cpu_ms_per_saga": means,
        "cpu_ms_per_saga_runs": measured,
        "ratio_to_off": ratios,
        "spans_exported": spans,
    }
    for name in means:
        console.print(
            f"tracing {name:>4}: {means[name]:.1f} ms CPU per saga, "
            f"{ratios[name]:.3f} x off, {spans[name]} spans exported",
            highlight=False,
        )
    out = repo / ".bench" / "tracing.json"
    out.write_text(json.dumps(results, indent=2) + "\n")
    console.print(f"Written to {out}")
    return 0
