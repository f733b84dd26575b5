"""The lab's commands join the mkservice command line through its ``mkservice.commands`` entry
points, with the names and options ``make demo``, ``make bench`` and ``make chaos`` use."""

from __future__ import annotations

import os
import subprocess
import sys
from importlib.metadata import entry_points

import pytest


def mkservice_help(*args: str) -> str:
    completed = subprocess.run(
        [sys.executable, "-m", "mkservice", *args, "--help"],
        capture_output=True, text=True, check=True, env={**os.environ, "COLUMNS": "200"},
    )  # fmt: skip
    return completed.stdout


def test_the_lab_declares_its_commands() -> None:
    points = {point.name: point.value for point in entry_points(group="mkservice.commands")}

    assert points == {
        "bench": "mkservice_lab.commands.bench:register",
        "chaos": "mkservice_lab.commands.chaos:register",
        "demo": "mkservice_lab.commands.demo:register",
    }


@pytest.mark.parametrize(
    ("command", "options"),
    [
        ("demo", ["--keep"]),
        ("bench", ["--quick", "--only", "--profile", "--steady", "--rate", "--seconds"]),
        ("bench", ["--replicas", "--nats-cluster", "--tracing"]),
        ("chaos", ["--ci", "--seed", "--sagas", "--faults", "--postgres-restart", "--keep"]),
        ("chaos", ["--replicas", "--nats-cluster", "--cluster"]),
    ],
)
def test_mkservice_runs_the_lab_commands(command: str, options: list[str]) -> None:
    assert f" {command} " in mkservice_help()
    shown = mkservice_help(command)
    for option in options:
        assert option in shown
