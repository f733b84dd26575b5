"""CPU accounting from ``/proc``: what a process has used, and how busy the machine's cores were.

Linux only; elsewhere the readers return nothing and the figures are left out.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

_TICKS_PER_S = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def process_cpu_seconds(pid: int | None) -> float | None:
    """User + system CPU seconds process ``pid`` (all its threads) has used; None if unknown."""
    if pid is None:
        return None
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may hold spaces; utime and stime come after its ")".
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS_PER_S


@dataclass(frozen=True)
class MachineTimes:
    """The first line of ``/proc/stat``: CPU time of all cores, in ticks."""

    total: int
    idle: int  # idle + iowait

    @classmethod
    def parse(cls, line: str) -> MachineTimes:
        ticks = [int(value) for value in line.split()[1:]]
        return cls(total=sum(ticks), idle=ticks[3] + ticks[4])

    @classmethod
    def now(cls) -> MachineTimes | None:
        try:
            with open("/proc/stat", encoding="ascii") as stat:
                return cls.parse(stat.readline())
        except OSError:
            return None


def busy_share(before: MachineTimes | None, after: MachineTimes | None) -> float | None:
    """The share (0..1) of all cores' time that was not idle between two readings."""
    if before is None or after is None or after.total <= before.total:
        return None
    return 1 - (after.idle - before.idle) / (after.total - before.total)


def ms_per(
    before: Mapping[str, float], after: Mapping[str, float], count: float
) -> dict[str, float]:
    """CPU milliseconds each process used between two readings, per ``count`` (sagas, seconds)."""
    return {
        name: round((after[name] - used) * 1000 / count, 2)
        for name, used in before.items()
        if name in after
    }
