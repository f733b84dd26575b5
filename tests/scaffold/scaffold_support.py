"""Helpers for the generator's tests: copy the workspace, run mkservice in it, fingerprint it."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from mkservice.generator.compose_file import compose_ports, init_mounts
from mkservice.generator.registry import allocate_port, used_ports
from mkservice.record import RegisteredService, read_registry
from mkservice.workspace import copy_workspace, find_workspace_root

ROOT = find_workspace_root(Path(__file__).resolve().parent)
assert ROOT is not None, "the tests live inside the workspace"
# The services this workspace has: the tests hold for any (the reference checkout's three, or a
# team's own after `mkservice remove orders inventory payments`), so they name none.
SERVICES: list[RegisteredService] = read_registry(ROOT)


def next_port(root: Path) -> int:
    """The port ``mkservice new`` gives the next service in ``root``."""
    return allocate_port({**compose_ports(root), **used_ports(read_registry(root))})


def next_init_script(root: Path, slug: str) -> str:
    """The init script name ``mkservice new`` gives the next service in ``root``."""
    return f"{len(init_mounts(root)) + 1:02d}-{slug}.sql"


def copy_repo(destination: Path) -> Path:
    """The workspace's own files (tracked and untracked-not-ignored; no .venv) in ``destination``.

    The copy runs with this venv's Python: its chassis and mkservice are this workspace's, which
    the copy's are copies of.
    """
    return copy_workspace(ROOT, destination)


def mkservice(
    repo: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """``python -m mkservice ARGS`` with ``repo`` as the current folder."""
    return subprocess.run(
        [sys.executable, "-m", "mkservice", *args],
        cwd=repo,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def mkservice_json(repo: Path, *args: str, env: dict[str, str] | None = None) -> Any:
    completed = mkservice(repo, *args, "--json", env=env)
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout)


def snapshot(root: Path) -> dict[str, str]:
    """Every file under ``root`` (relative path -> sha256 of its bytes), plus every folder, so
    an added empty folder counts as a change too. Bytecode caches are left out."""
    found: dict[str, str] = {}
    for path in sorted(root.rglob("*")):
        if "__pycache__" in path.parts:
            continue
        relative = path.relative_to(root).as_posix()
        if path.is_dir() and not path.is_symlink():
            found[relative + "/"] = "folder"
        else:
            found[relative] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def changes(before: dict[str, str], after: dict[str, str]) -> list[str]:
    """What differs between two snapshots, one line per path (empty when nothing does)."""
    return sorted(
        f"{'added' if path not in before else 'removed' if path not in after else 'changed'}: "
        f"{path}"
        for path in before.keys() | after.keys()
        if before.get(path) != after.get(path)
    )
