"""Finding the workspace root (kept free of heavy imports: the CLI uses it at start-up)."""

from __future__ import annotations

from pathlib import Path


def find_workspace_root(start: Path | None = None) -> Path | None:
    """The nearest folder at or above ``start`` whose pyproject.toml declares the uv workspace."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file() and "[tool.uv.workspace]" in pyproject.read_text():
            return folder
    return None
