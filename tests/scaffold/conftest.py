"""Shared set-up for the generator's tests: throwaway copies of the workspace to run it in."""

import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from mkservice.generator.tools import UV_ENV, find_uv

# The repo runs pytest with --import-mode=importlib, which keeps test folders off sys.path; the
# test modules import their helpers from beside this file.
sys.path.insert(0, str(Path(__file__).parent))

from scaffold_support import copy_repo  # noqa: E402


@pytest.fixture(scope="session", autouse=True)
def _bytecode_cache() -> Iterator[None]:
    """Let the many ``python -m ...`` runs share a bytecode cache, kept in the temp folder and
    out of the venv: with PYTHONDONTWRITEBYTECODE set, each would compile every import anew."""
    saved = {key: os.environ.get(key) for key in ("PYTHONPYCACHEPREFIX", "PYTHONDONTWRITEBYTECODE")}
    cache = Path(tempfile.gettempdir()) / f"mkservice-tests-pycache-{os.getuid()}"
    os.environ["PYTHONPYCACHEPREFIX"] = str(cache)
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    yield
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture(scope="session", autouse=True)
def _workspace_uv() -> Iterator[None]:
    """The copies have no .tools/ of their own: `mkservice new` in them uses the uv this
    workspace uses (PATH's, or the one the Makefile put in .tools/bin)."""
    if UV_ENV in os.environ:
        yield
        return
    os.environ[UV_ENV] = find_uv(Path(__file__).resolve().parents[2])
    yield
    os.environ.pop(UV_ENV, None)


@pytest.fixture(scope="session")
def pristine_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One copy of the workspace per session; copy it again before changing anything."""
    return copy_repo(tmp_path_factory.mktemp("pristine") / "repo")


@pytest.fixture
def repo(pristine_repo: Path, tmp_path: Path) -> Path:
    """A fresh copy of the workspace that this test may change."""
    return Path(shutil.copytree(pristine_repo, tmp_path / "repo", symlinks=True))
