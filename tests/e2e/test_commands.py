"""``mkservice up`` and ``mkservice demo`` as a user runs them: real processes, real signals."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
# The venv's console script, as `make up`/`make demo` run it.
SCRIPT = Path(sys.executable).parent / "mkservice"
MKSERVICE = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "mkservice.cli"]


def test_up_serves_until_ctrl_c_then_stops_everything(
    tmp_path: Path, processes_of: Callable[[Path], list[int]]
) -> None:
    run_dir = tmp_path / "run"
    up = subprocess.Popen(
        [*MKSERVICE, "up", "--no-seed", "--run-dir", str(run_dir)],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "COLUMNS": "200"},
    )  # fmt: skip
    assert up.stdout is not None
    try:
        lines = []
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not any("Ctrl-C" in line for line in lines):
            lines.append(up.stdout.readline())
            assert up.poll() is None, "".join(lines)
        output = "".join(lines)
        for service in ("orders", "inventory", "payments"):
            assert re.search(rf"{service} .*http://127\.0\.0\.1:\d+/docs", output), output
        assert len(processes_of(run_dir)) >= 4

        up.send_signal(signal.SIGINT)
        rest, _ = up.communicate(timeout=60)
    finally:
        if up.poll() is None:
            up.kill()
    assert up.returncode == 0, rest
    assert "Stopped cleanly." in rest
    assert processes_of(run_dir) == []
    assert (run_dir / "logs" / "orders.log").is_file()


@pytest.mark.slow
def test_demo_reaches_every_expected_outcome_and_stops_cleanly(
    processes_of: Callable[[Path], list[int]],
) -> None:
    completed = subprocess.run(
        [*MKSERVICE, "demo", "--keep"], cwd=REPO, capture_output=True, text=True, timeout=300,
        env={**os.environ, "COLUMNS": "200"},
    )  # fmt: skip
    output = completed.stdout + completed.stderr
    assert completed.returncode == 0, output
    assert "Every order reached its expected outcome." in output
    run_dir = Path(re.findall(r"Run folder \(logs, data\): (\S+)", output)[0])
    assert processes_of(run_dir) == []
    shutil.rmtree(run_dir)  # kept (--keep) only to look for leftovers by its path
