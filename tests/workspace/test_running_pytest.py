"""pytest works as people type it, and each suite starts with only the plugins it uses.

Every case starts the venv's pytest in a subprocess, as a person would type it (at the workspace
root, given a folder, inside a member's folder, one test by its node id), with the collection
probe (collection_probe.py) reporting what the session looked like. The workspace's folder
``platform/`` is named like the standard library's module, which pytest once replaced with it,
breaking nats, SQLAlchemy and asyncpg: every case checks that the module is still the real one.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import pytest

from mkservice.testrun import Suite, discover_suites

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
VENV_BIN = Path(sys.executable).parent  # not resolved: the venv's own bin/, not the base Python's
PYTEST = str(VENV_BIN / "pytest")
PYTHON = sys.executable
CHASSIS = REPO / "platform"
SUITES = discover_suites(REPO)
SERVICE_SUITES = [suite for suite in SUITES if suite.root.parent == REPO / "services"]
OUTPUT_LINES = 60
FUZZING_PLUGINS = {"_hypothesis_pytestplugin", "schemathesis.pytest.plugin"}
# A suite uses schemathesis or hypothesis when one of its modules imports them.
USES_FUZZING = re.compile(
    r"^\s*(?:import|from)\s+(?:schemathesis|hypothesis)\b"
    r"|importorskip\(\s*[\"'](?:schemathesis|hypothesis)[\"']",
    re.MULTILINE,
)


@dataclass
class PytestRun:
    command: list[str]
    cwd: Path
    returncode: int
    output: str
    report: dict[str, Any] = field(default_factory=dict)

    def describe(self) -> str:
        """The command and the end of its output (a whole collection's node ids would drown it)."""
        tail = "\n".join(self.output.splitlines()[-OUTPUT_LINES:])
        return f"`{' '.join(self.command)}` in {self.cwd} (exit {self.returncode}):\n{tail}"

    def assert_sound(self) -> None:
        """It exited 0, the probe reported, and ``platform`` stayed the standard library's."""
        assert self.returncode == 0, self.describe()
        assert self.report, f"the probe wrote no report\n{self.describe()}"
        replaced = self.report["platform_replaced_at"]
        assert not replaced, f"`platform` was not the standard library's {replaced}\n" + (
            self.describe()
        )

    def node_ids(self) -> list[str]:
        return [line.strip() for line in self.output.splitlines() if "::" in line]

    def fuzzing_plugins(self) -> set[str]:
        return FUZZING_PLUGINS & set(self.report["plugin_modules"])


def run_pytest(
    command: list[str], cwd: Path, report_dir: Path, *, pythonpath: tuple[str, ...] = ()
) -> PytestRun:
    report_file = report_dir / f"probe-{uuid.uuid4().hex}.json"
    # Without the caller's PYTEST_ADDOPTS (-x, --lf, ...): the runs are typed as given here.
    env = {key: value for key, value in os.environ.items() if key != "PYTEST_ADDOPTS"}
    inherited = [env["PYTHONPATH"]] if env.get("PYTHONPATH") else []
    env["PYTHONPATH"] = os.pathsep.join([*pythonpath, str(HERE), *inherited])
    env["PYTEST_PLUGINS"] = "collection_probe"
    env["COLLECTION_PROBE_REPORT"] = str(report_file)
    completed = subprocess.run(
        command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        timeout=240,
    )  # fmt: skip
    report = json.loads(report_file.read_text(encoding="utf-8")) if report_file.exists() else {}
    return PytestRun(command, cwd, completed.returncode, completed.stdout, report)


@pytest.fixture(scope="module")
def report_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pytest-runs")


@pytest.fixture(scope="module")
def inside(report_dir: Path) -> Callable[[Suite], PytestRun]:
    """``cd <suite folder> && pytest --collect-only -q``, run once per suite for this module."""
    runs: dict[Path, PytestRun] = {}

    def collect(suite: Suite) -> PytestRun:
        if suite.root not in runs:
            runs[suite.root] = run_pytest([PYTEST, "--collect-only", "-q"], suite.root, report_dir)
        return runs[suite.root]

    return collect


@pytest.fixture(scope="module")
def runnable(report_dir: Path) -> dict[Path, str]:
    """One quick test (not Postgres-only) per folder, by node id from the root: the chassis's
    first, and each service's migrations test (every service has it from the template)."""
    folders = [CHASSIS, *(suite.root for suite in SERVICE_SUITES)]
    run = run_pytest(
        [PYTEST, "--collect-only", "-q", "-m", "not postgres", *map(str, folders)],
        REPO, report_dir,
    )  # fmt: skip
    run.assert_sound()
    chosen: dict[Path, str] = {}
    for folder in folders:
        nodes = [node for node in run.node_ids() if (REPO / node).is_relative_to(folder)]
        assert nodes, f"nothing to run in {folder}\n{run.describe()}"
        migrations = [node for node in nodes if "/tests/integration/test_migrations.py::" in node]
        chosen[folder] = (migrations or nodes)[0]
    return chosen


def test_pytest_at_the_root_collects_every_suite_in_one_process(report_dir: Path) -> None:
    run = run_pytest([PYTEST, "--collect-only", "-q"], REPO, report_dir)
    run.assert_sound()
    files = {REPO / node.partition("::")[0] for node in run.node_ids()}
    for suite in SUITES:
        own = [f for f in files if f.is_relative_to(suite.root)]
        own = [f for f in own if not any(f.is_relative_to(nested) for nested in suite.nested)]
        assert own, f"nothing collected from {suite.name}\n{run.describe()}"
    template = REPO / "scaffold" / "template"
    assert not [f for f in files if f.is_relative_to(template)], "the template's Jinja sources"


@pytest.mark.parametrize(
    ("command", "pythonpath"),
    [
        pytest.param([PYTEST, "platform"], (), id="pytest platform"),
        pytest.param([PYTHON, "-m", "pytest", "platform"], (), id="python -m pytest platform"),
        pytest.param([PYTEST, "platform"], (str(REPO),), id="PYTHONPATH=. pytest platform"),
    ],
)
def test_pytest_given_the_chassis_folder_from_the_root_collects_it(
    command: list[str], pythonpath: tuple[str, ...], report_dir: Path
) -> None:
    run = run_pytest([*command, "--collect-only", "-q"], REPO, report_dir, pythonpath=pythonpath)
    run.assert_sound()
    assert run.node_ids(), run.describe()
    assert all(node.startswith("platform/") for node in run.node_ids()), run.describe()


@pytest.mark.parametrize("suite", SUITES, ids=[suite.name for suite in SUITES])
def test_pytest_typed_inside_a_suite_folder_collects_that_folder(
    suite: Suite, inside: Callable[[Suite], PytestRun]
) -> None:
    run = inside(suite)
    run.assert_sound()
    prefix = suite.root.relative_to(REPO).as_posix() + "/"
    assert run.node_ids(), run.describe()
    assert all(node.startswith(prefix) for node in run.node_ids()), run.describe()


@pytest.mark.parametrize("suite", SUITES, ids=[suite.name for suite in SUITES])
def test_a_suite_loads_the_fuzzing_plugins_only_if_it_uses_them(
    suite: Suite, inside: Callable[[Suite], PytestRun]
) -> None:
    run = inside(suite)
    assert run.report, f"the probe wrote no report\n{run.describe()}"
    uses = any(USES_FUZZING.search(path.read_text(encoding="utf-8"))
               for path in suite.root.rglob("*.py"))  # fmt: skip
    if uses and find_spec("schemathesis") is not None:
        assert run.fuzzing_plugins() == FUZZING_PLUGINS, run.report
    else:
        assert not run.fuzzing_plugins(), f"{suite.name} does not fuzz: {run.report}"
        assert not run.report["imported"], f"{suite.name} does not fuzz: {run.report}"


def test_one_test_runs_by_node_id_from_the_root_and_from_inside_its_folder(
    runnable: dict[Path, str], report_dir: Path
) -> None:
    folders = [CHASSIS, *(suite.root for suite in SERVICE_SUITES[:1])]
    for folder in folders:
        node = runnable[folder]
        from_root = run_pytest([PYTEST, "-q", node], REPO, report_dir)
        from_root.assert_sound()
        assert "1 passed" in from_root.output, from_root.describe()
        relative = Path(node).relative_to(folder.relative_to(REPO)).as_posix()
        from_inside = run_pytest([PYTEST, "-q", relative], folder, report_dir)
        from_inside.assert_sound()
        assert "1 passed" in from_inside.output, from_inside.describe()


def test_the_services_tests_run_side_by_side_in_one_process(
    runnable: dict[Path, str], report_dir: Path
) -> None:
    """Same-named fixtures (``settings``), test modules and ``tests`` folders in every service:
    each test still gets its own service's."""
    if len(SERVICE_SUITES) < 2:
        pytest.skip("fewer than two services in this workspace")
    nodes = [runnable[suite.root] for suite in SERVICE_SUITES]
    run = run_pytest([PYTEST, "-q", *nodes], REPO, report_dir)
    run.assert_sound()
    assert f"{len(nodes)} passed" in run.output, run.describe()
