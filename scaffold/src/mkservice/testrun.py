"""Runs the workspace's test suites, each in its own pytest process.

Why one process per suite: each member (the chassis, the generator, every service, the
cross-service tests) is tested as its own project, with its own folder as pytest's rootdir, so
no suite can lean on another's imports or fixtures, and a service's suite is exactly what runs
when the service is tested alone. Suites are found, not listed: a new service folder is picked up
with no edit, and a removed one is simply gone.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

_COUNT = re.compile(r"(\d+) (passed|failed|skipped|errors?|xfailed|xpassed|deselected)")
NO_TESTS_COLLECTED = 5


@dataclass(frozen=True)
class Suite:
    name: str
    root: Path


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


def discover_suites(repo: Path) -> list[Suite]:
    """The chassis, the generator, each service with a tests folder, then the repo's tests."""
    suites = [Suite("platform", repo / "platform"), Suite("scaffold", repo / "scaffold")]
    for service in sorted((repo / "services").glob("*/")):
        if (service / "tests").is_dir():
            suites.append(Suite(f"services/{service.name}", service))
    suites.append(Suite("tests", repo / "tests"))
    return [suite for suite in suites if _has_tests(suite.root)]


def _has_tests(root: Path) -> bool:
    return any(root.rglob("test_*.py"))


def run_suite(repo: Path, suite: Suite, pytest_args: list[str], env: dict[str, str]) -> SuiteResult:
    command = [
        sys.executable, "-m", "pytest",
        "-c", str(repo / "pyproject.toml"),
        "--rootdir", str(suite.root),
        str(suite.root),
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
