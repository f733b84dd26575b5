"""Stopping background tasks reliably."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any


async def cancel_and_wait(task: asyncio.Task[Any] | None) -> None:
    """Cancel ``task`` and wait until it has really ended.

    One ``cancel()`` is not always enough on Python 3.11: ``asyncio.wait_for`` (used inside
    nats-py) can swallow a cancellation that arrives together with a message (gh-86296), and the
    task then runs on. So cancel again until it is done.
    """
    if task is None:
        return
    while not task.done():
        task.cancel()
        await asyncio.wait({task}, timeout=0.5)
    with contextlib.suppress(asyncio.CancelledError, Exception):
        await task
