"""A clock tests set by hand: pass it to ``create_app(settings, clock=clock)``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class ManualClock:
    """A :data:`chassis.Clock` that stands still until a test moves it."""

    def __init__(self, now: datetime | None = None) -> None:
        self.now = now or datetime(2026, 1, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        """Move the clock on, e.g. ``clock.advance(seconds=9)``; returns the new time."""
        self.now += timedelta(**delta)
        return self.now
