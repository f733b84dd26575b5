"""Background loops (chassis.periodic): a failing step is retried, a stop really stops."""

from __future__ import annotations

import asyncio

import pytest
from chassis.periodic import Periodic


async def test_a_step_that_raises_is_tried_again_next_round() -> None:
    calls: list[int] = []

    async def step() -> None:
        calls.append(len(calls))
        if len(calls) <= 2:
            raise ConnectionError("the database blinked")

    loop = Periodic("flaky", 0.01, step)
    loop.start()
    try:
        for _ in range(200):
            if len(calls) >= 4:
                break
            await asyncio.sleep(0.01)
    finally:
        await loop.stop()
    assert len(calls) >= 4, "the loop died with its first failure"


async def test_stop_cancels_a_step_midway_and_nothing_runs_after() -> None:
    started = asyncio.Event()
    finished: list[str] = []

    async def slow_step() -> None:
        started.set()
        await asyncio.sleep(30)
        finished.append("step")

    loop = Periodic("slow", 0.01, slow_step)
    loop.start()
    await asyncio.wait_for(started.wait(), 5)
    await asyncio.wait_for(loop.stop(), 5)

    assert not loop.running
    await asyncio.sleep(0.05)
    assert finished == []


def test_a_loop_without_a_positive_interval_is_refused() -> None:
    async def step() -> None:
        return None

    with pytest.raises(ValueError, match="interval of sweeper must be positive"):
        Periodic("sweeper", 0, step)
