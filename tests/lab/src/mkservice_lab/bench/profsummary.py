"""Where a service's CPU went, by package: the profile's own time per function, summed by the
library (or service, or standard-library module) it belongs to.

Own time (``tottime``) is the trustworthy part of a cProfile of asyncio and SQLAlchemy code:
cumulative times are not, because coroutines and greenlets switch stacks under the profiler.
Waiting in ``epoll`` is idle time and is reported apart.
"""

from __future__ import annotations

import pstats
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

IDLE = "(idle: waiting in epoll)"
HANDOFF = "(hand-off to a worker thread)"

_SITE_PACKAGE = re.compile(r"site-packages/([^/]+)")
_SOURCE_PACKAGE = re.compile(r"/src/([^/]+)/")
_STDLIB = re.compile(r"python3\.\d+/([^/]+)")


def package_of(filename: str, function: str) -> str:
    """The package a profiled function belongs to (``sqlalchemy``, ``chassis``, ``asyncio``)."""
    if filename == "~":  # a built-in: name it by what it does
        if "epoll" in function:
            return IDLE
        if "SimpleQueue" in function:
            return HANDOFF
        return "builtins"
    for pattern in (_SITE_PACKAGE, _SOURCE_PACKAGE, _STDLIB):
        match = pattern.search(filename)
        if match:
            return match.group(1).removesuffix(".py")
    return Path(filename).name


@dataclass(frozen=True)
class PackageShare:
    package: str
    seconds: float
    share: float  # of the busy (non-idle) time


def by_package(profile: Path, limit: int = 15) -> tuple[float, float, list[PackageShare]]:
    """(busy seconds, idle seconds, the heaviest packages) of a ``.prof`` file."""
    stats = pstats.Stats(str(profile))
    own: Counter[str] = Counter()
    for (filename, _line, function), values in stats.stats.items():  # type: ignore[attr-defined]
        own[package_of(filename, function)] += values[2]
    idle = own.pop(IDLE, 0.0)
    busy = sum(own.values())
    shares = [
        PackageShare(package, seconds, seconds / busy if busy else 0.0)
        for package, seconds in own.most_common(limit)
    ]
    return busy, idle, shares
