"""CPU accounting of ``mkservice bench`` (``/proc`` readings) and how ``--steady`` reports a
step. Readings of this very process stand in for a service; no figure is asserted."""

from __future__ import annotations

import sys
import time

import pytest

from mkservice_lab.bench.cpu import MachineTimes, busy_share, ms_per, process_cpu_seconds
from mkservice_lab.bench.ramp import StepOutcome
from mkservice_lab.bench.steady import SteadyStep, describe_steady

needs_proc = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")


def test_the_machine_share_busy_is_what_was_not_idle_or_waiting() -> None:
    # user nice system idle iowait irq softirq steal
    before = MachineTimes.parse("cpu  100 0 50 800 50 0 0 0")
    after = MachineTimes.parse("cpu  250 0 100 900 50 0 0 0")
    assert (before.total, before.idle) == (1000, 850)
    assert busy_share(before, after) == pytest.approx(200 / 300)


def test_no_share_without_two_readings_apart() -> None:
    reading = MachineTimes.parse("cpu  1 0 1 8 0 0 0 0")
    assert busy_share(None, reading) is None
    assert busy_share(reading, reading) is None


def test_cpu_per_unit_covers_the_processes_read_both_times() -> None:
    before = {"orders": 1.0, "payments": 2.0, "gone": 5.0}
    after = {"orders": 1.5, "payments": 2.25}
    assert ms_per(before, after, 100) == {"orders": 5.0, "payments": 2.5}


@needs_proc
def test_a_process_cpu_time_grows_as_it_works() -> None:
    from os import getpid

    start = process_cpu_seconds(getpid())
    assert start is not None
    deadline = time.process_time() + 0.2
    while time.process_time() < deadline:
        pass
    assert process_cpu_seconds(getpid()) > start  # type: ignore[operator]


def test_an_unknown_process_has_no_cpu_time() -> None:
    assert process_cpu_seconds(None) is None
    assert process_cpu_seconds(2**22 + 12345) is None  # above Linux's highest pid


def test_a_steady_step_lists_processes_by_cost_with_their_total() -> None:
    outcome = StepOutcome(
        rate=50.0, sent=250, accepted=250, errors=0, send_rate=50.0, confirmed=250,
        finished_in_time=True, saga_latencies_ms=[10.0] * 250,
    )  # fmt: skip
    step = SteadyStep(
        outcome=outcome,
        verdict=None,
        cpu_ms_per_saga={"payments": 1.5, "orders": 6.0, "nats-server": 1.0},
        machine_busy=0.42,
    )
    text = describe_steady(step)
    assert "250/250 confirmed" in text and "held" in text
    assert "orders 6.0, payments 1.5, nats-server 1.0 (total 8.5); cores 42% busy" in text
