"""Where the workspace is, and what it holds."""

from __future__ import annotations

from pathlib import Path

import typer
from chassis.workspace import find_workspace_root

__all__ = ["find_workspace_root", "workspace_root"]


def workspace_root() -> Path:
    """The workspace root, or exit 2 with one sentence when run outside a workspace."""
    root = find_workspace_root()
    if root is None:
        message = "Not inside an mkservice workspace (no pyproject.toml with [tool.uv.workspace])."
        typer.echo(message, err=True)
        raise typer.Exit(2)
    return root


# Never copied: environments, caches and local data (the same as .gitignore says, for a copy made
# without git).
_NOT_COPIED = {".git", ".venv", ".tools", ".data", ".bench", ".chaos", "__pycache__",
               ".mypy_cache", ".ruff_cache", ".pytest_cache"}  # fmt: skip


def workspace_files(root: Path) -> list[Path]:
    """The workspace's own files, relative to ``root``: tracked and untracked-but-not-ignored
    (what ``git ls-files -co --exclude-standard`` lists), without the venv or caches."""
    import subprocess

    try:
        listed = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=root, capture_output=True, check=True,
        ).stdout.decode()  # fmt: skip
        candidates = [Path(name) for name in listed.split("\0") if name]
    except (OSError, subprocess.CalledProcessError):
        candidates = [path.relative_to(root) for path in root.rglob("*")]
    return sorted(
        path
        for path in set(candidates)
        if not _NOT_COPIED & set(path.parts) and (root / path).is_file()
    )


def copy_workspace(root: Path, destination: Path) -> Path:
    """Copy the workspace's own files (see :func:`workspace_files`) into ``destination``."""
    import shutil

    for relative in workspace_files(root):
        target = destination / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(root / relative, target)
    return destination
