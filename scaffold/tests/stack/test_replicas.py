"""The supervisor's replicas: SQLite refuses them before anything starts; on a shared database
each replica gets its own port, only the first migrates, and stopping stops every one.
(``mkservice up --replicas`` itself: test_up_command.py.)

Stand-in services (stack_support.py) never open their database, so a PostgreSQL URL is enough
to run them as replicas without a server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from stack_support import FakeWorkspace, alive

from mkservice.stack import StackError, Supervisor
from mkservice.stack.ports import any_free_port

UNUSED_NATS = "nats://127.0.0.1:9"
NEVER_OPENED = "postgresql://nobody@127.0.0.1:9/never-opened"  # stand-ins never open it


@pytest.fixture
def stacks() -> Iterator[list[Supervisor]]:
    """Supervisors appended to it are stopped when the test ends, passed or not."""
    started: list[Supervisor] = []
    yield started
    for supervisor in started:
        supervisor.stop()


def test_the_supervisor_refuses_replicas_on_sqlite_before_starting(
    fake_workspace: FakeWorkspace, tmp_path: Path
) -> None:
    fake_workspace.add("zz-probe-a", any_free_port())

    with pytest.raises(StackError, match="SQLite is one process per service"):
        Supervisor(fake_workspace.specs(), tmp_path / "run", nats_url=UNUSED_NATS, replicas=2)

    assert not (tmp_path / "run").exists()


def test_replicas_share_the_database_only_the_first_migrates_and_all_stop(
    fake_workspace: FakeWorkspace, tmp_path: Path, stacks: list[Supervisor]
) -> None:
    fake_workspace.add("zz-probe-a", any_free_port())
    supervisor = Supervisor(
        fake_workspace.specs(), tmp_path / "run", nats_url=UNUSED_NATS, replicas=2,
        database_urls={"zz-probe-a": NEVER_OPENED}, prefer_registered_ports=False,
    )  # fmt: skip
    stacks.append(supervisor)

    supervisor.start()

    first, second = supervisor.replicas["zz-probe-a"]
    assert supervisor.services["zz-probe-a"] is first
    assert supervisor.urls_of("zz-probe-a") == [first.url, second.url]
    assert first.port != second.port
    first_log, second_log = first.log_file.read_text(), second.log_file.read_text()
    assert "serve --migrate" in first_log
    assert "serve --migrate" not in second_log and "serve" in second_log
    for log in (first_log, second_log):
        assert f"database {NEVER_OPENED}" in log
    pids = [process.pid for process in supervisor.processes]
    assert all(pid is not None and alive(pid) for pid in pids)

    supervisor.stop()

    assert not any(alive(pid) for pid in pids if pid is not None)
