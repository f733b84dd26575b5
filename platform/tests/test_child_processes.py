"""Children die with their parent, however it dies (issue 21: orphans kept their ports)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux prctl only")


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split()[2]
    except FileNotFoundError:
        return False
    return state != "Z"


def _wait_gone(pid: int, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _alive(pid):
            return True
        time.sleep(0.05)
    return False


def _parent_that_starts(code: str, tmp_path: Path) -> tuple[subprocess.Popen[str], int]:
    """A Python parent that runs ``code`` (which prints its child's pid), then sleeps."""
    script = textwrap.dedent(code) + "\nimport time\ntime.sleep(120)\n"
    parent = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, cwd=tmp_path
    )
    assert parent.stdout is not None
    child = int(parent.stdout.readline())
    assert _alive(child)
    return parent, child


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_a_nats_server_dies_when_whatever_started_it_is_killed(
    tmp_path: Path, sig: signal.Signals
) -> None:
    parent, server = _parent_that_starts(
        f"""
        from pathlib import Path
        from chassis.embedded_nats import NatsServer
        server = NatsServer(Path({str(tmp_path / "nats")!r})).start()
        print(server.pid, flush=True)
        """,
        tmp_path,
    )
    try:
        os.kill(parent.pid, sig)
        parent.wait(10)
        assert _wait_gone(server), "the nats-server outlived the process that started it"
    finally:
        if _alive(server):
            os.kill(server, signal.SIGKILL)


def test_any_child_started_with_dies_with_parent_is_killed_with_it(tmp_path: Path) -> None:
    parent, child = _parent_that_starts(
        """
        import subprocess
        from chassis.processes import dies_with_parent
        child = subprocess.Popen(["sleep", "120"], preexec_fn=dies_with_parent())
        print(child.pid, flush=True)
        """,
        tmp_path,
    )
    try:
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait(10)
        assert _wait_gone(child)
    finally:
        if _alive(child):
            os.kill(child, signal.SIGKILL)
