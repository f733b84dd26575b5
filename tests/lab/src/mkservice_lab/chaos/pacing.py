"""Keeping the order stream and the faults in step, so the faults land while orders run.

Each fault episode has a gate: the share of the orders that must be placed before it begins.
The load may run at most two slots (of the longest lane) past the earliest process fault not
yet over (kills, crash points, outages take seconds each), so neither finishes long before the
other: the last faults hit the last orders, whatever the speed of the machine.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable


async def until(
    condition: Callable[[], bool], interval: float = 0.1, timeout: float | None = None
) -> bool:
    """Poll ``condition`` until it holds (True) or ``timeout`` passes (False)."""
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        if condition():
            return True
        if deadline is not None and time.monotonic() > deadline:
            return False
        await asyncio.sleep(interval)


class Pacer:
    """Shared progress of the load and of the process-fault lane."""

    def __init__(self, total_orders: int, lanes: list[list[float]]) -> None:
        self.total = max(total_orders, 1)
        self.placed = 0
        self.pending = sorted(gate for lane in lanes for gate in lane)
        self.slot = 1.0 / (max((len(lane) for lane in lanes), default=0) + 1)
        self.started = time.monotonic()
        self.unfinished = 0  # sagas not finished yet, refreshed by the monitor
        # Set when the load gave up (the system stopped accepting orders): the fault lanes stop
        # too, and the run goes straight to its verdict.
        self.abandoned = False

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    @property
    def progress(self) -> float:
        return self.placed / self.total

    def may_place(self, index: int) -> bool:
        """Whether order ``index`` may be placed now: up to two slots past the earliest episode
        not over, so orders keep flowing while it runs (a crash point needs traffic to be
        reached) but never far ahead of the faults."""
        if not self.pending:
            return True
        return (index + 1) / self.total <= self.pending[0] + 2 * self.slot

    async def wait_may_place(self, index: int) -> None:
        await until(lambda: self.may_place(index))

    async def wait_progress(self, gate: float) -> None:
        """Wait until ``gate`` of the orders are placed (or all of them are)."""
        await until(lambda: self.abandoned or self.progress >= gate or self.placed >= self.total)

    def episode_done(self, gate: float) -> None:
        self.pending.remove(gate)
