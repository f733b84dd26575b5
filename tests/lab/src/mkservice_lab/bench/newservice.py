"""The generator's speed: wall time of ``mkservice new NAME`` as a user types it (the new
service installed into the workspace's venv), and of ``mkservice new NAME --no-install``.

Each run generates a different service in a throwaway copy of the workspace (without its venv,
git history and run data), so the real repository is never touched. The time includes starting
the ``mkservice`` process, rendering, registering and ``uv lock`` (offline first), and, unless
``--no-install``, installing the new member (``uv sync``). For that the copy first gets a venv
of its own (``uv sync``, not timed: a user's workspace has one already), and the copy's own
``mkservice`` runs, as ``.venv/bin/mkservice new`` does in a user's workspace.

Python caches compiled modules as a user's machine does (a cache folder in the scratch
space, even where ``PYTHONDONTWRITEBYTECODE`` is set): the first run, which compiles every
module it imports, is reported apart as the cold time; the figure is the median of the others.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from mkservice.generator.errors import GenerationFailed
from mkservice.generator.tools import UV_ENV, find_uv
from mkservice.workspace import copy_workspace
from mkservice_lab.bench.stats import median


@dataclass
class NewServiceTiming:
    """The wall time of each run, or why it could not be measured (a gap in the results)."""

    seconds: list[float] = field(default_factory=list)
    cold_s: float | None = None
    gap: str | None = None

    @property
    def median_s(self) -> float | None:
        return median(self.seconds) if self.seconds and self.gap is None else None


def mkservice_executable() -> str:
    """The ``mkservice`` script beside the running interpreter (the workspace venv's)."""
    beside = Path(sys.executable).parent / "mkservice"
    return str(beside) if beside.exists() else "mkservice"


def time_new_service(
    repo: Path, runs: int, *, install: bool = True, timeout: float = 120.0
) -> NewServiceTiming:
    """Run ``mkservice new`` once cold, then ``runs`` times, in a copy of ``repo``."""
    timing = NewServiceTiming()
    try:
        # The copy has no .tools/: point it at the uv the real workspace uses (the Makefile
        # installs it there when PATH has none).
        uv = find_uv(repo)
    except GenerationFailed as error:
        timing.gap = str(error)
        return timing
    scratch = Path(tempfile.mkdtemp(prefix="mkservice-bench-new-"))
    try:
        copy = copy_workspace(repo, scratch / "workspace")
        env = {**os.environ, "PYTHONPYCACHEPREFIX": str(scratch / "pycache")}
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env[UV_ENV] = uv
        executable = mkservice_executable()
        if install:
            synced = subprocess.run(
                [uv, "sync", "--all-packages", "--locked", "--python", sys.executable, "-q"],
                cwd=copy, env=env, capture_output=True, text=True, timeout=600,
            )  # fmt: skip
            if synced.returncode != 0:
                timing.gap = f"the copy's venv could not be made: {synced.stderr.strip()[-200:]}"
                return timing
            executable = str(copy / ".venv" / "bin" / "mkservice")
        flags = [] if install else ["--no-install"]
        for index in range(runs + 1):
            command = [executable, "new", f"bench-gen-{index}", *flags]
            started = time.perf_counter()
            try:
                completed = subprocess.run(
                    command, cwd=copy, env=env, capture_output=True, text=True, timeout=timeout
                )
            except subprocess.TimeoutExpired:
                timing.gap = f"`mkservice new` took longer than {timeout:.0f}s"
                break
            elapsed = time.perf_counter() - started
            if completed.returncode != 0:
                output = (completed.stderr or completed.stdout).strip().splitlines()
                timing.gap = f"`mkservice new` failed: {output[-1] if output else 'no output'}"
                break
            if index == 0:
                timing.cold_s = elapsed
            else:
                timing.seconds.append(elapsed)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return timing
