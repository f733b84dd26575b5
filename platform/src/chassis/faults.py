"""Crash points: places where a test can make the process die at once, like a power cut; and
failing message types: messages whose handling fails, like a handler with a bug.

Crash points are off unless a service's ``crash_points`` setting names them (the fault suite sets
it); ``os._exit`` skips every cleanup, which is the point: nothing after the crash point happens.
A message type named in ``failing_message_types`` fails inside its consumer's transaction, so
nothing of it is kept; the consumer retries it and then parks it as it would any poison message
(the console's dead-letter tests do this, then start the service without it: the bug fixed).
"""

from __future__ import annotations

import os
import sys

AFTER_COMMIT_BEFORE_PUBLISH = "relay.after_commit_before_publish"
AFTER_PUBLISH_BEFORE_MARK = "relay.after_publish_before_mark"
AFTER_EFFECT_BEFORE_ACK = "consumer.after_effect_before_ack"

_armed: frozenset[str] = frozenset()
_failing: frozenset[str] = frozenset()


class InjectedFailure(RuntimeError):
    """A message of a type named in ``failing_message_types`` was handled."""


def arm(points: tuple[str, ...] | list[str]) -> None:
    """Enable the named crash points for this process."""
    global _armed
    _armed = frozenset(points)


def fail_message_types(types: tuple[str, ...] | list[str]) -> None:
    """Make handling a message of each of ``types`` fail in this process."""
    global _failing
    _failing = frozenset(types)


def failing_message(message_type: str) -> None:
    """Raise :class:`InjectedFailure` if messages of ``message_type`` are made to fail."""
    if message_type in _failing:
        raise InjectedFailure(f"handling {message_type} fails (failing_message_types)")


def crash_point(name: str) -> None:
    """Exit the process immediately if ``name`` is armed."""
    if name in _armed:
        print(f"crash point {name} reached: exiting", file=sys.stderr, flush=True)
        os._exit(137)
