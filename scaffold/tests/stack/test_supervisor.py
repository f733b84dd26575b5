"""The supervisor with stand-in services: which port each gets, what a failure quotes, and that
nothing it starts outlives it."""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from chassis.processes import dies_with_parent
from stack_support import FakeWorkspace, alive

from mkservice.stack import PortInUse, StackError, Supervisor, port_is_free

# The stand-ins never connect to NATS: given a URL, the supervisor starts no nats-server.
UNUSED_NATS = "nats://127.0.0.1:9"


def ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/health/ready", timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


@pytest.fixture
def held() -> Iterator[socket.socket]:
    """A port another program listens on (on every interface, as a system service would)."""
    with socket.socket() as holder:
        holder.bind(("0.0.0.0", 0))
        holder.listen()
        yield holder


@pytest.fixture
def stacks() -> Iterator[list[Supervisor]]:
    """Supervisors appended to it are stopped when the test ends, passed or not."""
    started: list[Supervisor] = []
    yield started
    for supervisor in started:
        supervisor.stop()


def test_refuses_a_registered_port_that_stays_taken_naming_the_port_and_the_service(
    fake_workspace: FakeWorkspace,
    held: socket.socket,
    tmp_path: Path,
    stacks: list[Supervisor],
    caplog: pytest.LogCaptureFixture,
) -> None:
    port = held.getsockname()[1]
    fake_workspace.add("zz-probe-a", port)
    supervisor = Supervisor(fake_workspace.specs(), tmp_path / "run", nats_url=UNUSED_NATS,
                            port_wait=0.5, cwd=fake_workspace.root)  # fmt: skip
    stacks.append(supervisor)
    begun = time.monotonic()

    with pytest.raises(PortInUse) as refused:
        supervisor.start()

    assert (refused.value.service, refused.value.port) == ("zz-probe-a", port)
    assert f"port {port} of the service zz-probe-a is in use" in str(refused.value)
    assert 0.5 <= time.monotonic() - begun < 5  # waited, then said so: never a silent wait
    assert supervisor.services == {}, "nothing is started when a port stays taken"
    assert f"zz-probe-a: port {port} is in use; waiting" in caplog.text


def test_takes_a_registered_port_let_go_within_the_wait(
    fake_workspace: FakeWorkspace, held: socket.socket, tmp_path: Path, stacks: list[Supervisor]
) -> None:
    port = held.getsockname()[1]
    fake_workspace.add("zz-probe-a", port)
    # A stack stopped a moment ago lets go of its port a little later.
    threading.Timer(0.5, held.close).start()
    supervisor = Supervisor(fake_workspace.specs(), tmp_path / "run", nats_url=UNUSED_NATS,
                            port_wait=10, cwd=fake_workspace.root)  # fmt: skip
    stacks.append(supervisor)

    supervisor.start()

    assert supervisor.url("zz-probe-a") == f"http://127.0.0.1:{port}"
    assert ready(supervisor.url("zz-probe-a"))


def test_without_a_wait_a_service_moves_off_its_taken_port_and_says_so(
    fake_workspace: FakeWorkspace,
    held: socket.socket,
    tmp_path: Path,
    stacks: list[Supervisor],
    caplog: pytest.LogCaptureFixture,
) -> None:
    port = held.getsockname()[1]
    fake_workspace.add("zz-probe-a", port)
    supervisor = Supervisor(fake_workspace.specs(), tmp_path / "run", nats_url=UNUSED_NATS,
                            cwd=fake_workspace.root)  # fmt: skip
    stacks.append(supervisor)

    with caplog.at_level(logging.WARNING, logger="mkservice.stack"):
        supervisor.start()

    moved = supervisor.service("zz-probe-a").port
    assert moved != port and ready(supervisor.url("zz-probe-a"))
    assert f"zz-probe-a: its port {port} is in use; it serves on {moved} instead" in caplog.text


def test_a_failure_quotes_only_the_latest_run_of_the_log(
    fake_workspace: FakeWorkspace, tmp_path: Path, stacks: list[Supervisor]
) -> None:
    fake_workspace.add("zz-probe-a", 9)
    run_dir = tmp_path / "run"
    (run_dir / "logs").mkdir(parents=True)
    (run_dir / "logs" / "zz-probe-a.log").write_text("zz-probe-a: an error of an earlier run\n")
    supervisor = Supervisor(
        fake_workspace.specs(), run_dir, nats_url=UNUSED_NATS, prefer_registered_ports=False,
        env={"ZZ_PROBE_A_FAIL": "zz-probe-a: the error of this run"}, cwd=fake_workspace.root,
    )  # fmt: skip
    stacks.append(supervisor)

    with pytest.raises(StackError) as failed:
        supervisor.start()

    assert "service zz-probe-a exited" in str(failed.value)
    assert "the error of this run" in str(failed.value)
    assert "earlier run" not in str(failed.value)


def test_a_service_started_from_a_worker_thread_outlives_the_thread(
    fake_workspace: FakeWorkspace, tmp_path: Path, stacks: list[Supervisor]
) -> None:
    # The fault suite restarts services through asyncio.to_thread; the kernel ties a child's
    # death signal to the thread that forked it, not to the process.
    fake_workspace.add("zz-probe-a", 9)
    supervisor = Supervisor(fake_workspace.specs(), tmp_path / "run", nats_url=UNUSED_NATS,
                            prefer_registered_ports=False, cwd=fake_workspace.root)  # fmt: skip
    stacks.append(supervisor)
    supervisor.start()
    supervisor.stop_service("zz-probe-a")

    worker = threading.Thread(target=supervisor.start_service, args=("zz-probe-a",))
    worker.start()
    worker.join()
    time.sleep(0.5)

    assert supervisor.service("zz-probe-a").running
    assert ready(supervisor.url("zz-probe-a"))


SUPERVISOR_SCRIPT = textwrap.dedent("""
    import json, pathlib, sys, threading
    from mkservice.stack import Supervisor, discover_services

    root, run_dir = map(pathlib.Path, sys.argv[1:3])
    stack = Supervisor(discover_services(root), run_dir, prefer_registered_ports=False, cwd=root)
    stack.start()
    # One service restarted from a worker thread that then ends, as the fault suite does.
    stack.stop_service("zz-probe-b")
    worker = threading.Thread(target=stack.start_service, args=("zz-probe-b",))
    worker.start()
    worker.join()
    pids = [process.pid for process in stack.services.values()] + [stack.nats.pid]
    ports = [process.port for process in stack.services.values()] + [stack.nats.port]
    print(json.dumps({"pids": pids, "ports": ports}), flush=True)
    threading.Event().wait()
""")


def test_every_child_dies_with_its_supervisor_even_when_it_is_killed(
    fake_workspace: FakeWorkspace, tmp_path: Path, killed_at_the_end: list[int]
) -> None:
    fake_workspace.add("zz-probe-a", 9)
    fake_workspace.add("zz-probe-b", 9)
    supervisor = subprocess.Popen(
        [sys.executable, "-c", SUPERVISOR_SCRIPT, str(fake_workspace.root), str(tmp_path / "run")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=dies_with_parent(),
    )  # fmt: skip
    killed_at_the_end.append(supervisor.pid)
    assert supervisor.stdout is not None
    line = supervisor.stdout.readline()
    assert line, supervisor.communicate(timeout=30)[1]
    started = json.loads(line)
    killed_at_the_end.extend(started["pids"])
    assert all(alive(pid) for pid in started["pids"])

    os.kill(supervisor.pid, signal.SIGKILL)  # no handler, no finally, no clean-up runs
    supervisor.wait(timeout=10)

    deadline = time.monotonic() + 5
    while any(alive(pid) for pid in started["pids"]) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert [pid for pid in started["pids"] if alive(pid)] == []
    assert all(port_is_free(port) for port in started["ports"])
