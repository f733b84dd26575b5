"""Runs the workspace's test suites, each in its own pytest process.

Why one process per suite: each workspace member (the chassis, the generator, the checkout's lab,
every service) and the cross-service tests are tested as their own project, with their own folder
as pytest's rootdir, so no suite can lean on another's imports or fixtures, and a service's suite
is exactly what runs when the service is tested alone. Suites are found, not listed: they are the
members ``[tool.uv.workspace]`` takes in, so a new service folder is picked up with no edit, and
a removed one (or a removed lab) is simply gone.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import tomllib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

# A suite's output line that `mkservice test` shows even when the suite passes.
NOTE_PREFIX = "mkservice note: "
_COUNT = re.compile(r"(\d+) (passed|failed|skipped|errors?|xfailed|xpassed|deselected)")
NO_TESTS_COLLECTED = 5


@dataclass(frozen=True)
class Suite:
    name: str
    root: Path
    # Members inside this suite's folder (tests/lab in tests): each is a suite of its own.
    nested: tuple[Path, ...] = ()


@dataclass
class SuiteResult:
    suite: Suite
    exit_code: int
    counts: dict[str, int]
    output: str
    seconds: float

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and self.counts.get("passed", 0) > 0

    @property
    def notes(self) -> list[str]:
        """What the suite asked to be told even when it passes (lines starting with
        :data:`NOTE_PREFIX`, e.g. why its browser tests were skipped)."""
        lines = self.output.splitlines()
        return list(dict.fromkeys(line for line in lines if line.startswith(NOTE_PREFIX)))


def discover_suites(repo: Path) -> list[Suite]:
    """Each workspace member with tests (in the order ``[tool.uv.workspace] members`` lists
    them: the chassis, the generator, the checkout's lab, every service), then the repo's own
    cross-service tests (without the members among them)."""
    members = workspace_members(repo)
    roots = [*members, repo / "tests"]
    suites = [
        Suite(
            root.relative_to(repo).as_posix(),
            root,
            tuple(member for member in members if root in member.parents),
        )
        for root in roots
    ]
    return [suite for suite in suites if _has_tests(suite)]


def workspace_members(repo: Path) -> list[Path]:
    """The folders the root pyproject.toml's ``[tool.uv.workspace]`` takes in (its ``members``
    globs, less its ``exclude`` ones), as uv reads them: each with a pyproject.toml."""
    try:
        data = tomllib.loads((repo / "pyproject.toml").read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return []
    workspace = data.get("tool", {}).get("uv", {}).get("workspace", {})
    excluded = {path for pattern in workspace.get("exclude", []) for path in repo.glob(pattern)}
    found: list[Path] = []
    for pattern in workspace.get("members", []):
        for folder in sorted(repo.glob(pattern)):
            wanted = folder not in excluded and folder not in found
            if wanted and (folder / "pyproject.toml").is_file():
                found.append(folder)
    return found


def _has_tests(suite: Suite) -> bool:
    return any(
        not any(nested in path.parents for nested in suite.nested)
        for path in suite.root.rglob("test_*.py")
    )


def run_suite(repo: Path, suite: Suite, pytest_args: list[str], env: dict[str, str]) -> SuiteResult:
    command = [
        sys.executable, "-m", "pytest",
        "-c", str(repo / "pyproject.toml"),
        "--rootdir", str(suite.root),
        str(suite.root),
        *(f"--ignore={nested}" for nested in suite.nested),
        "-q", "-ra", "--color=no",
        *pytest_args,
    ]  # fmt: skip
    started = time.monotonic()
    completed = subprocess.run(
        command, cwd=repo, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    counts: dict[str, int] = {}
    summary = [line for line in completed.stdout.splitlines() if _COUNT.search(line)]
    if summary:
        for number, word in _COUNT.findall(summary[-1]):
            key = "errors" if word.startswith("error") else word
            counts[key] = counts.get(key, 0) + int(number)
    return SuiteResult(suite, completed.returncode, counts, completed.stdout,
                       time.monotonic() - started)  # fmt: skip


def run_all(
    repo: Path,
    suites: list[Suite],
    *,
    pytest_args: list[str],
    jobs: int,
    postgres: bool,
    report: Callable[[SuiteResult], None],
) -> list[SuiteResult]:
    """Run ``suites`` (``jobs`` at a time) and report each as it finishes."""
    env = dict(os.environ)
    if postgres:
        env["MKSERVICE_TEST_DB"] = "postgres"
    results: list[SuiteResult] = []
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = [pool.submit(run_suite, repo, suite, pytest_args, env) for suite in suites]
        for future in futures:
            result = future.result()
            report(result)
            results.append(result)
    return results
