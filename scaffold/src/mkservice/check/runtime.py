"""The slow, real checks of ``mkservice check --runtime``.

8. Deployment coupling: each service, started ALONE against a fresh database, with no other
   service and NO broker running, migrates and becomes ready (a broker outage only makes it
   ``degraded``). A service that needs another one up first cannot be deployed on its own.
9. Test coupling: each service's test suite passes when the service is installed ALONE into an
   environment of its own (``uv sync --package``); a shared venv hides a missing dependency, and
   a suite that needs another service's package or data fails here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Sequence
from pathlib import Path

from chassis.auth.dev_issuer import DEV_ISSUER, DevIssuer
from chassis.embedded_nats import free_port
from chassis.processes import dies_with_parent

from mkservice.check.discovery import Service
from mkservice.check.results import CheckResult, Finding
from mkservice.generator.errors import GenerationFailed
from mkservice.generator.tools import find_uv

READY_TIMEOUT_S = 60.0


def run_runtime_checks(repo: Path, services: Sequence[Service]) -> list[CheckResult]:
    """Run checks 8 and 9 over ``services``."""
    return [
        CheckResult(
            "deployment-coupling",
            "Each service starts alone",
            "deployment coupling",
            tuple(f for s in services if (f := _starts_alone(repo, s)) is not None),
        ),
        CheckResult(
            "test-coupling",
            "Each service's tests pass installed alone",
            "test coupling",
            tuple(f for s in services if (f := _tests_pass_alone(repo, s)) is not None),
        ),
    ]


def _finding(repo: Path, service: Service, detail: str) -> Finding:
    pyproject = service.root / "pyproject.toml"
    return Finding(str(pyproject.relative_to(repo)), 1, (service.name,), detail)


def _starts_alone(repo: Path, service: Service) -> Finding | None:
    with tempfile.TemporaryDirectory(prefix=f"mk-alone-{service.name}-") as scratch:
        port = free_port()
        # A token issuer it must be told of to serve; its keys are a file nobody signs with.
        jwks = DevIssuer.generate().write_jwks(Path(scratch) / "jwks.json")
        env = {
            **os.environ,
            f"{service.env_prefix}DATABASE_URL": f"sqlite:///{scratch}/{service.name}.db",
            # A port nothing listens on: the broker is "down" for the whole check.
            f"{service.env_prefix}NATS_URL": f"nats://127.0.0.1:{free_port()}",
            f"{service.env_prefix}PORT": str(port),
            f"{service.env_prefix}HOST": "127.0.0.1",
            f"{service.env_prefix}AUTH_ISSUER": DEV_ISSUER,
            f"{service.env_prefix}AUTH_JWKS_URL": jwks.as_uri(),
        }
        log_path = Path(scratch) / "service.log"
        with open(log_path, "wb") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", service.package, "serve", "--migrate"],
                cwd=repo, env=env, stdout=log, stderr=subprocess.STDOUT,
                preexec_fn=dies_with_parent(),  # never left serving if `check` is killed
            )  # fmt: skip
        try:
            status = _wait_ready(f"http://127.0.0.1:{port}/health/ready", process)
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        if status in {"ready", "degraded"}:
            return None
        tail = log_path.read_text(errors="replace").strip().splitlines()[-3:]
        return _finding(repo, service, f"not ready alone ({status}); log: {' | '.join(tail)}")


def _wait_ready(url: str, process: subprocess.Popen[bytes]) -> str:
    deadline = time.monotonic() + READY_TIMEOUT_S
    last = "no answer"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return f"exited with code {process.returncode}"
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return str(json.load(response).get("status"))
        except urllib.error.HTTPError as error:
            last = f"HTTP {error.code}"
        except OSError:
            pass
        time.sleep(0.2)
    return f"timed out after {READY_TIMEOUT_S:.0f}s ({last})"


def _tests_pass_alone(repo: Path, service: Service) -> Finding | None:
    if not service.tests.is_dir():
        return _finding(repo, service, "has no tests folder")
    try:
        uv = find_uv(repo)  # the workspace's: PATH's, or the Makefile's .tools/bin/uv
    except GenerationFailed as error:
        return _finding(repo, service, f"could not be installed alone: {error}")
    with tempfile.TemporaryDirectory(prefix=f"mk-venv-{service.name}-") as venv:
        env = {**os.environ, "UV_PROJECT_ENVIRONMENT": venv}
        env.pop("VIRTUAL_ENV", None)
        sync = subprocess.run(
            [uv, "sync", "--frozen", "--package", service.name, "--quiet"],
            cwd=repo, env=env, capture_output=True, text=True, preexec_fn=dies_with_parent(),
        )  # fmt: skip
        if sync.returncode != 0:
            return _finding(
                repo, service, f"cannot be installed alone: {sync.stderr.strip()[-300:]}"
            )
        tests = subprocess.run(
            [f"{venv}/bin/python", "-m", "pytest", "-c", str(repo / "pyproject.toml"),
             "--rootdir", str(service.root), str(service.root), "-q", "-p", "no:cacheprovider"],
            cwd=repo, env=env, capture_output=True, text=True, preexec_fn=dies_with_parent(),
        )  # fmt: skip
        if tests.returncode != 0:
            summary = tests.stdout.strip().splitlines()[-1:] or ["no output"]
            return _finding(repo, service, f"tests fail installed alone: {summary[0]}")
    return None
