"""The external tools the generator runs: uv (lock, sync) and ruff (tidy), found as the Makefile
finds them."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from mkservice.generator.errors import GenerationFailed

UV_ENV = "MKSERVICE_UV"


def find_uv(root: Path) -> str:
    """``$MKSERVICE_UV``, else the uv that launched us (``uv run`` sets ``$UV``), else ``uv`` on
    PATH, else the workspace's ``.tools/bin/uv`` (where the Makefile installs it)."""
    configured = os.environ.get(UV_ENV)
    if configured:
        return shutil.which(configured) or configured
    launcher = os.environ.get("UV")
    if launcher and Path(launcher).is_file():
        return launcher
    found = shutil.which("uv")
    if found and "shims" in Path(found).parts:
        # A pyenv/asdf shim spends ~0.2 s of shell deciding which uv to run; the uv installed
        # beside the interpreter this venv was made from is the one it would pick here.
        beside = Path(sys.base_prefix) / "bin" / "uv"
        if beside.is_file():
            return str(beside)
    if found:
        return found
    local = root / ".tools" / "bin" / "uv"
    if local.is_file():
        return str(local)
    raise GenerationFailed("uv was not found on PATH nor in .tools/bin; run `make bootstrap`.")


def find_ruff(root: Path) -> str | None:
    """The workspace's ``.venv/bin/ruff``, else the one beside this Python, else PATH's."""
    for candidate in (root / ".venv" / "bin" / "ruff", Path(sys.executable).parent / "ruff"):
        if candidate.is_file():
            return str(candidate)
    return shutil.which("ruff")


def lock(uv: str, root: Path) -> None:
    """``uv lock``, so uv.lock knows the new member.

    Offline first: the new member only needs what the lock already holds, and resolving from the
    cache takes a fraction of the time. When the cache lacks something, ask the index. Naming
    this interpreter spares uv its search for one (most of its time here); the lock is the same.
    """
    python = ["--python", sys.executable]
    for command in ([uv, "lock", "--offline", *python], [uv, "lock", *python]):
        completed = subprocess.run(command, cwd=root, capture_output=True, text=True)
        if completed.returncode == 0:
            return
    reason = (completed.stderr or completed.stdout).strip().splitlines()
    detail = f": {reason[-1]}" if reason else f" (exit status {completed.returncode})"
    raise GenerationFailed(f"`uv lock` failed{detail}.")


def sync(uv: str, root: Path, *, quiet: bool) -> bool:
    """``uv sync --all-packages --locked``: install the new member into the workspace venv."""
    completed = subprocess.run(
        [uv, "sync", "--all-packages", "--locked"],
        cwd=root,
        stdout=subprocess.DEVNULL if quiet else sys.stderr,
        stderr=subprocess.DEVNULL if quiet else sys.stderr,
    )
    return completed.returncode == 0
