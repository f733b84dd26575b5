"""Background loops: a step run at an interval for as long as the service runs.

Every loop of every service (orders' saga sweeper, payments' settler, the chassis's own
housekeeping) runs through :class:`Periodic`, so they start, stop and fail the same way: started
with the runtime, cancelled and awaited at its stop, and a step that raises is logged and tried
again next round instead of ending the loop for good.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from chassis.tasks import cancel_and_wait

log = logging.getLogger(__name__)

Step = Callable[[], Awaitable[object]]


class Periodic:
    """Runs ``step()`` every ``interval_s`` seconds (after each run ends) until stopped."""

    def __init__(self, name: str, interval_s: float, step: Step) -> None:
        if interval_s <= 0:
            raise ValueError(f"the interval of {name} must be positive, not {interval_s}")
        self.name = name
        self.interval_s = interval_s
        self.step = step
        self._task: asyncio.Task[None] | None = None

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=self.name)

    async def stop(self) -> None:
        """Cancel the loop and wait until it has really ended (mid-step included)."""
        await cancel_and_wait(self._task)
        self._task = None

    async def _run(self) -> None:
        while True:
            try:
                await self.step()
            except asyncio.CancelledError:
                raise
            except Exception:  # a database hiccup, say: the next round tries again
                log.exception("%s failed; trying again in %.1f s", self.name, self.interval_s)
            await asyncio.sleep(self.interval_s)
