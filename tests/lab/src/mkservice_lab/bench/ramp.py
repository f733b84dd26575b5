"""When a load step holds, and what the sustained rate is. Pure, so it is unit-tested.

A step at rate R holds when the load generator kept to its schedule, (almost) every request was
accepted, every order of the step was CONFIRMED before the drain deadline, and the sagas' p99
stayed under the bound. The sustained rate is the highest rate that held.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from mkservice_lab.bench.stats import percentile

MAX_ERROR_SHARE = 0.01
MIN_SCHEDULE_SHARE = 0.95


@dataclass(frozen=True)
class StepOutcome:
    """One load step as measured: what was sent and accepted, and how the sagas ended."""

    rate: float
    sent: int
    accepted: int
    errors: int
    send_rate: float | None
    confirmed: int
    finished_in_time: bool
    saga_latencies_ms: Sequence[float]
    post_p50_ms: float | None = None
    post_p99_ms: float | None = None

    @property
    def saga_p50_ms(self) -> float | None:
        return percentile(self.saga_latencies_ms, 50)

    @property
    def saga_p99_ms(self) -> float | None:
        return percentile(self.saga_latencies_ms, 99)


def judge(step: StepOutcome, p99_bound_ms: float) -> str | None:
    """Why the step broke, or ``None`` when it held."""
    if step.sent == 0:
        return "nothing was sent"
    if step.send_rate is not None and step.send_rate < MIN_SCHEDULE_SHARE * step.rate:
        return f"the load generator fell behind ({step.send_rate:.1f}/s sent)"
    if step.errors > MAX_ERROR_SHARE * step.sent:
        return f"{step.errors} of {step.sent} requests failed"
    if not step.finished_in_time:
        return "sagas still running at the drain deadline"
    if step.confirmed < step.accepted:
        return f"only {step.confirmed} of {step.accepted} orders CONFIRMED"
    p99 = step.saga_p99_ms
    if p99 is None:
        return "no saga latency measured"
    if p99 > p99_bound_ms:
        return f"saga p99 {p99:.0f} ms > {p99_bound_ms:.0f} ms"
    return None


def sustained(steps: Sequence[tuple[StepOutcome, str | None]]) -> float | None:
    """The highest rate among the steps that held (each paired with its verdict)."""
    held = [step.rate for step, verdict in steps if verdict is None]
    return max(held) if held else None


def lowest_broken_above(
    steps: Sequence[tuple[StepOutcome, str | None]], held: float | None
) -> float | None:
    """The lowest rate that broke above ``held`` (above nothing when no rate held)."""
    broken = [
        s.rate for s, verdict in steps if verdict is not None and (held is None or s.rate > held)
    ]
    return min(broken) if broken else None


def refinement(held: float | None, broke: float | None, min_gap: float = 1.15) -> float | None:
    """A rate between the last that held and the first that broke, when they are far apart."""
    if held is None or broke is None or broke / held < min_gap:
        return None
    return round((held * broke) ** 0.5, 1)
