"""The upgrade's speed: wall time of ``mkservice upgrade NAME``, as a user runs it.

In a throwaway git repository (a copy of the workspace, committed), a service is made with
``mkservice new``, then the template moves to a next version with a one-line change; each run
puts the service back at the older version (``git reset --hard``) and times the upgrade: the
``mkservice`` process, the older template taken from git history, both renders with ruff, the
three-way merge and the writes. The first run (compiling every module) is reported apart.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from mkservice.generator.errors import GenerationFailed
from mkservice.generator.tools import UV_ENV, find_uv
from mkservice.workspace import copy_workspace
from mkservice_lab.bench.newservice import NewServiceTiming, mkservice_executable

SERVICE = "bench-upgraded"
_DEFAULTS = Path("scaffold/template/cookiecutter.json")
_CONFIG = Path("scaffold/template/{{cookiecutter.service_slug}}/src/{{cookiecutter.package}}")


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)


def _commit(repo: Path, message: str) -> None:
    _git(repo, "add", "-A")
    _git(repo, "-c", "user.name=bench", "-c", "user.email=bench@example.invalid",
         "-c", "commit.gpgsign=false", "commit", "-q", "-m", message)  # fmt: skip


def _next_version(repo: Path) -> None:
    """The template one version on, with one line of the service's config changed."""
    defaults = json.loads((repo / _DEFAULTS).read_text(encoding="utf-8"))
    defaults["template_version"] = str(int(defaults["template_version"]) + 1)
    (repo / _DEFAULTS).write_text(json.dumps(defaults, indent=2) + "\n", encoding="utf-8")
    config = repo / _CONFIG / "config.py"
    config.write_text(
        config.read_text(encoding="utf-8").replace('"""Settings of', '"""The settings of', 1),
        encoding="utf-8",
    )


def time_upgrade(repo: Path, runs: int, *, timeout: float = 120.0) -> NewServiceTiming:
    """Run ``mkservice upgrade`` once cold, then ``runs`` times, in a git copy of ``repo``."""
    timing = NewServiceTiming()
    try:
        uv = find_uv(repo)
    except GenerationFailed as error:
        timing.gap = str(error)
        return timing
    scratch = Path(tempfile.mkdtemp(prefix="mkservice-bench-upgrade-"))
    try:
        copy = copy_workspace(repo, scratch / "workspace")
        env = {**os.environ, "PYTHONPYCACHEPREFIX": str(scratch / "pycache"), UV_ENV: uv}
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        _git(copy, "init", "-q", "-b", "main")
        _commit(copy, "the workspace")
        made = subprocess.run(
            [mkservice_executable(), "new", SERVICE, "--no-install"],
            cwd=copy, env=env, capture_output=True, text=True, timeout=timeout,
        )  # fmt: skip
        if made.returncode != 0:
            timing.gap = f"`mkservice new` failed: {made.stderr.strip()[-200:]}"
            return timing
        _commit(copy, f"mkservice new {SERVICE}")
        _next_version(copy)
        _commit(copy, "the template's next version")
        head = ["git", "-C", str(copy), "rev-parse", "HEAD"]
        behind = subprocess.run(head, capture_output=True, text=True, check=True).stdout.strip()
        for index in range(runs + 1):
            _git(copy, "reset", "-q", "--hard", behind)
            started = time.perf_counter()
            completed = subprocess.run(
                [mkservice_executable(), "upgrade", SERVICE],
                cwd=copy, env=env, capture_output=True, text=True, timeout=timeout,
            )  # fmt: skip
            elapsed = time.perf_counter() - started
            if completed.returncode != 0:
                output = (completed.stderr or completed.stdout).strip().splitlines()
                timing.gap = f"`mkservice upgrade` failed: {output[-1] if output else '?'}"
                break
            if index == 0:
                timing.cold_s = elapsed
            else:
                timing.seconds.append(elapsed)
    except (subprocess.SubprocessError, OSError) as error:
        timing.gap = f"the upgrade could not be timed: {error}"
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return timing
