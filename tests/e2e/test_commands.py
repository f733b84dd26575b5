"""``mkservice up`` and ``mkservice demo`` as a user runs them: real processes, real signals."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from chassis.processes import dies_with_parent

from mkservice.stack import port_is_free

REPO = Path(__file__).resolve().parents[2]
# The venv's console script, as `make up`/`make demo` run it.
SCRIPT = Path(sys.executable).parent / "mkservice"
MKSERVICE = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "mkservice.cli"]


@dataclass
class Up:
    """A running ``mkservice up``: its process, its run folder, what it printed until ready."""

    process: subprocess.Popen[str]
    run_dir: Path
    output: str = ""


@pytest.fixture
def mkservice_up(
    tmp_path: Path, kill_processes_of: Callable[[Path], list[int]]
) -> Iterator[Callable[..., Up]]:
    """``mkservice_up(*args)``: ``mkservice up --no-seed --free-ports`` in a run folder of the
    test's own, its output piped (no terminal), returned once it says "Press Ctrl-C".

    Free ports: a developer's own stack may hold the registered ones while the tests run. When
    the test ends, passed, failed or timed out, the command and everything that names its run
    folder are killed: nothing a test starts outlives it.
    """
    started: list[Up] = []

    def start(*args: str) -> Up:
        run_dir = tmp_path / f"run-{len(started) + 1}"
        process = subprocess.Popen(
            [*MKSERVICE, "up", "--no-seed", "--free-ports", "--run-dir", str(run_dir), *args],
            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            preexec_fn=dies_with_parent(),  # and its children with it: even if pytest is killed
        )  # fmt: skip
        up = Up(process, run_dir)
        started.append(up)
        assert process.stdout is not None
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and "Ctrl-C" not in up.output:
            line = process.stdout.readline()
            up.output += line
            assert line or process.poll() is None, up.output
        assert "Ctrl-C" in up.output, up.output
        return up

    try:
        yield start
    finally:
        for up in started:
            if up.process.poll() is None:
                up.process.kill()
                up.process.wait()
            kill_processes_of(up.run_dir)


def test_up_serves_until_ctrl_c_then_stops_everything(
    mkservice_up: Callable[..., Up], processes_of: Callable[[Path], list[int]]
) -> None:
    up = mkservice_up()
    for service in ("orders", "inventory", "payments"):
        assert re.search(rf"{service} .*http://127\.0\.0\.1:\d+/docs", up.output), up.output
    assert len(processes_of(up.run_dir)) >= 4
    # The saga console is up beside them, on this machine only, and shows the sagas.
    console = re.search(r"Saga console: (http://127\.0\.0\.1:\d+)", up.output)
    assert console, up.output
    with urllib.request.urlopen(console.group(1) + "/sagas", timeout=10) as page:
        assert page.status == 200 and b"Checkouts" in page.read()

    up.process.send_signal(signal.SIGINT)
    rest, _ = up.process.communicate(timeout=60)

    assert up.process.returncode == 0, rest
    assert "Stopped cleanly." in rest
    assert processes_of(up.run_dir) == []
    assert (up.run_dir / "logs" / "orders.log").is_file()


def test_up_killed_outright_leaves_no_process_and_frees_every_port(
    mkservice_up: Callable[..., Up], processes_of: Callable[[Path], list[int]]
) -> None:
    up = mkservice_up()
    children = [pid for pid in processes_of(up.run_dir) if pid != up.process.pid]
    assert len(children) >= 4, up.output  # every service and nats-server
    ports = [int(port) for port in re.findall(r"127\.0\.0\.1:(\d+)", up.output)]
    assert ports and not any(port_is_free(port) for port in ports), up.output

    up.process.kill()  # SIGKILL: no handler, no finally, no clean-up of its own runs
    up.process.wait(timeout=10)

    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and (
        processes_of(up.run_dir) or not all(port_is_free(port) for port in ports)
    ):
        time.sleep(0.1)
    assert processes_of(up.run_dir) == []
    assert [port for port in ports if not port_is_free(port)] == [], _sockets_on(ports)


def _sockets_on(ports: list[int]) -> str:
    """What holds ``ports`` (``ss``), for the failure message."""
    holders = " or ".join(f"sport = :{port}" for port in ports)
    try:
        return subprocess.run(["ss", "-tanp", f"( {holders} )"], capture_output=True,
                              text=True, timeout=10).stdout  # fmt: skip
    except OSError:
        return "(no ss to say what holds them)"


@pytest.mark.slow
def test_demo_reaches_every_expected_outcome_and_stops_cleanly(
    processes_of: Callable[[Path], list[int]],
) -> None:
    completed = subprocess.run(
        [*MKSERVICE, "demo", "--keep"], cwd=REPO, capture_output=True, text=True, timeout=300,
        env={**os.environ, "COLUMNS": "200"}, preexec_fn=dies_with_parent(),
    )  # fmt: skip
    output = completed.stdout + completed.stderr
    assert completed.returncode == 0, output
    assert "Every order reached its expected outcome." in output
    assert re.search(r"Saga console: http://127\.0\.0\.1:\d+/sagas", output), output
    run_dir = Path(re.findall(r"Run folder \(logs, data\): (\S+)", output)[0])
    assert processes_of(run_dir) == []
    shutil.rmtree(run_dir)  # kept (--keep) only to look for leftovers by its path
