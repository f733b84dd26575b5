"""Collection plumbing for the cross-service tests (their fixtures live in each folder's conftest).

- The fuzzing plugins. The root pyproject.toml keeps schemathesis' and hypothesis' pytest
  plugins out of every suite (importing them is about half of a suite's start-up). A session
  that collects the fuzz tests (faults/test_openapi_fuzz.py) loads them here, before the session
  starts as hypothesis' plugin needs; faults/conftest.py is read only once collection reaches
  that folder, too late. Without schemathesis installed (a member installed alone) nothing is
  loaded, and the fuzz tests skip and say why.
- ``e2e`` importable by name: e2e/test_restarts.py imports from e2e/test_checkout.py, a name
  pytest gives that module only when this folder is its rootdir (``make test``); from the
  workspace root the module is ``tests.e2e.test_checkout``.
"""

from __future__ import annotations

import importlib
import sys
from importlib.util import find_spec
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
FUZZ_TESTS = HERE / "faults"
FUZZING_PLUGINS = ("_hypothesis_pytestplugin", "schemathesis.pytest.plugin")

sys.path.insert(0, str(HERE))


def pytest_configure(config: pytest.Config) -> None:
    # A copy without the fault suite (a team that removed the reference checkout) fuzzes nothing.
    if not FUZZ_TESTS.is_dir():
        return
    if not any(_overlaps(FUZZ_TESTS, _path_of(arg, config)) for arg in config.args):
        return
    for name in FUZZING_PLUGINS:
        if find_spec(name.partition(".")[0]) is None:
            continue
        plugin = importlib.import_module(name)
        # Already there when asked for on the command line (-p hypothesispytest, for its options).
        if not config.pluginmanager.is_registered(plugin):
            config.pluginmanager.register(plugin, name)


def _path_of(arg: str, config: pytest.Config) -> Path:
    """The file or folder a command-line argument names (``path::test`` included)."""
    return (config.invocation_params.dir / arg.partition("::")[0]).resolve()


def _overlaps(folder: Path, path: Path) -> bool:
    return path == folder or folder in path.parents or path in folder.parents
