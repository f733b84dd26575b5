"""The clock: where a service reads the time, so that tests can set it.

A service's composition root holds a :data:`Clock`; its entrypoints (routes, consumers, background
loops) read it once and pass ``now`` down to the service layer and the domain, which never read
the time themselves.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]
"""Returns the current time as an aware UTC datetime."""


def utcnow() -> datetime:
    """The current time, aware, in UTC: the default :data:`Clock`."""
    return datetime.now(UTC)
