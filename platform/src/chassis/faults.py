"""Crash points: places where a test can make the process die at once, like a power cut.

They are off unless a service's ``crash_points`` setting names them (the fault suite sets it);
``os._exit`` skips every cleanup, which is the point: nothing after the crash point happens.
"""

from __future__ import annotations

import os
import sys

AFTER_COMMIT_BEFORE_PUBLISH = "relay.after_commit_before_publish"
AFTER_PUBLISH_BEFORE_MARK = "relay.after_publish_before_mark"
AFTER_EFFECT_BEFORE_ACK = "consumer.after_effect_before_ack"

_armed: frozenset[str] = frozenset()


def arm(points: tuple[str, ...] | list[str]) -> None:
    """Enable the named crash points for this process."""
    global _armed
    _armed = frozenset(points)


def crash_point(name: str) -> None:
    """Exit the process immediately if ``name`` is armed."""
    if name in _armed:
        print(f"crash point {name} reached: exiting", file=sys.stderr, flush=True)
        os._exit(137)
