"""Fixtures of the stack's tests.

``fake_workspace``
    A :class:`stack_support.FakeWorkspace` in a temporary folder, its stand-in packages on
    PYTHONPATH.
``killed_at_the_end``
    A list: the pids appended to it are SIGKILLed when the test ends, passed or not.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

# --import-mode=importlib keeps test folders off sys.path; the tests import their helpers from
# beside this file.
sys.path.insert(0, str(Path(__file__).parent))

from stack_support import FakeWorkspace  # noqa: E402


@pytest.fixture
def fake_workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeWorkspace:
    root = tmp_path / "workspace"
    (root / "services").mkdir(parents=True)
    (root / "pyproject.toml").write_text('[tool.uv.workspace]\nmembers = ["services/*"]\n')
    packages = tmp_path / "packages"
    packages.mkdir()
    path = os.pathsep.join(filter(None, [str(packages), os.environ.get("PYTHONPATH")]))
    monkeypatch.setenv("PYTHONPATH", path)
    return FakeWorkspace(root, packages)


@pytest.fixture
def killed_at_the_end() -> Iterator[list[int]]:
    """Pids appended to it are SIGKILLed when the test ends, passed or not (a test that fails
    before its own clean-up must not leave them running)."""
    pids: list[int] = []
    yield pids
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
