"""How values look on the console's pages: Jinja filters for times, ages and durations."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from jinja2 import Environment

from mkservice.console.settings import ConsoleSettings


def parse_time(value: str | datetime | None) -> datetime | None:
    """A time from an API's JSON (ISO 8601), as an aware UTC datetime."""
    if value is None or isinstance(value, datetime):
        return value
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def clock_time(value: str | datetime | None) -> str:
    """``14:03:07.214`` (UTC): a saga's steps are milliseconds apart."""
    moment = parse_time(value)
    return moment.strftime("%H:%M:%S.%f")[:-3] if moment else ""


def full_time(value: str | datetime | None) -> str:
    moment = parse_time(value)
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC") if moment else ""


def age(value: str | datetime | None, now: datetime | None = None) -> str:
    """How long ago: ``4 s``, ``12 min``, ``3 h``, ``2 d``."""
    moment = parse_time(value)
    if moment is None:
        return ""
    seconds = max(((now or datetime.now(UTC)) - moment).total_seconds(), 0)
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{int(seconds // size)} {unit}"
    return f"{int(seconds)} s"


def duration(milliseconds: float | None) -> str:
    if milliseconds is None:
        return ""
    if milliseconds < 1000:
        return f"{milliseconds:.0f} ms"
    return f"{milliseconds / 1000:.2f} s"


def register_filters(env: Environment, settings: ConsoleSettings) -> None:
    env.filters.update(clock=clock_time, full_time=full_time, age=age, duration=duration)
    env.globals["trace_link"] = settings.trace_link
    env.globals["refresh_s"] = settings.refresh_s


def outcome_class(summary: dict[str, Any]) -> str:
    """The CSS class of a saga's row: its outcome, or stuck."""
    return "stuck" if summary.get("stuck") else str(summary.get("outcome", "pending"))
