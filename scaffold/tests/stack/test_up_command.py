"""``mkservice up``: its options are checked before anything starts, what it prints can be
copied, and a refusal is one sentence.

Most tests run it in-process on a workspace of stand-in services (stack_support.py), with the
wait for Ctrl-C replaced by an immediate Ctrl-C; no nats-server is started (``--nats-url``)."""

from __future__ import annotations

import re
import socket
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import typer
from stack_support import FakeWorkspace
from typer.testing import CliRunner

from mkservice.commands import up as up_command
from mkservice.stack.ports import any_free_port

# The stand-ins never connect to NATS; a URL with a password, to see that it prints whole.
GIVEN_NATS = "nats://zz-probe-user:a-password-long-enough-to-wrap-at-80@127.0.0.1:9"


def _app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def _root() -> None:
        """A stand-in for the mkservice root command."""

    up_command.register(app)
    return app


def _run(*args: str, columns: int = 200) -> tuple[int, str]:
    result = CliRunner().invoke(
        _app(), ["up", *args], catch_exceptions=False, env={"COLUMNS": str(columns)}
    )
    return result.exit_code, result.output


@pytest.fixture
def up_in(
    fake_workspace: FakeWorkspace, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[Callable[..., tuple[int, str]]]:
    """``up_in(*args, cwd=None)``: ``mkservice up ARGS`` in the stand-ins' workspace (or in
    ``cwd`` inside it), Ctrl-C as soon as the stack is up; (exit status, output). The output is
    not a terminal, 80 columns wide."""

    def interrupt(*_: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(up_command, "_watch", interrupt)
    monkeypatch.setenv("MKSERVICE_DATA_DIR", str(fake_workspace.root / ".data"))

    def run(*args: str, cwd: Path | None = None) -> tuple[int, str]:
        monkeypatch.chdir(cwd or fake_workspace.root)
        return _run("--nats-url", GIVEN_NATS, "--run-dir", str(tmp_path / "run"), *args,
                    columns=80)  # fmt: skip

    yield run


def assert_one_sentence(output: str, *mentions: str) -> None:
    message = output.strip()
    assert "\n" not in message, f"not one line: {message!r}"
    assert message.endswith("."), f"not a sentence: {message!r}"
    for mention in mentions:
        assert mention in message, message


def test_refuses_a_database_url_without_a_service_name() -> None:
    code, output = _run("--database-url", "postgresql://x@127.0.0.1/orders")

    assert code == 2
    assert "is not SERVICE=URL" in output


def test_refuses_a_database_url_it_cannot_run() -> None:
    code, output = _run("--database-url", "orders=mysql://x@127.0.0.1/orders")

    assert code == 2
    assert "unknown database scheme 'mysql'" in output


def test_refuses_a_database_url_for_a_service_that_does_not_exist() -> None:
    code, output = _run("--database-url", "zz-probe-absent=postgresql://x@127.0.0.1/absent")

    assert code == 2
    assert "database URL for an unknown service: zz-probe-absent" in output


def test_refuses_a_sqlite_file_whose_folder_does_not_exist(
    fake_workspace: FakeWorkspace, up_in: Callable[..., tuple[int, str]], tmp_path: Path
) -> None:
    fake_workspace.add("zz-probe-a", any_free_port())
    missing = tmp_path / "nonexistent" / "dir"

    code, output = up_in("--database-url", f"zz-probe-a=sqlite+aiosqlite:///{missing}/a.db")

    assert code == 2, output
    assert_one_sentence(output, "zz-probe-a", str(missing))
    assert not missing.parent.exists(), "the folder was created"


def test_refuses_a_relative_sqlite_path_whose_folder_does_not_exist_showing_where_it_leads(
    fake_workspace: FakeWorkspace, up_in: Callable[..., tuple[int, str]]
) -> None:
    fake_workspace.add("zz-probe-a", any_free_port())

    # Three slashes: a path relative to the current folder (here the workspace), not /tmp.
    code, output = up_in("--database-url", "zz-probe-a=sqlite:///tmp/x.db")

    assert code == 2, output
    resolved = fake_workspace.root.resolve() / "tmp" / "x.db"
    assert_one_sentence(output, "zz-probe-a", str(resolved), "sqlite:////tmp/x.db")
    assert not (fake_workspace.root / "tmp").exists()


def test_reads_a_relative_sqlite_path_from_the_current_folder_and_says_where_it_is(
    fake_workspace: FakeWorkspace, up_in: Callable[..., tuple[int, str]], tmp_path: Path
) -> None:
    fake_workspace.add("zz-probe-a", any_free_port())
    here = fake_workspace.root / "notes"
    (here / "db").mkdir(parents=True)

    code, output = up_in("--database-url", "zz-probe-a=sqlite:///db/a.db", cwd=here)

    assert code == 0, output
    resolved = here.resolve() / "db" / "a.db"
    assert f"zz-probe-a: SQLite file {resolved}" in output
    # The service runs in the workspace root, and gets the absolute path.
    log = (tmp_path / "run" / "logs" / "zz-probe-a.log").read_text()
    assert f"zz_probe_a: database sqlite:///{resolved}" in log


def test_lets_a_sqlite_file_inside_the_data_folder_create_its_folder(
    fake_workspace: FakeWorkspace, up_in: Callable[..., tuple[int, str]]
) -> None:
    fake_workspace.add("zz-probe-a", any_free_port())
    inside = fake_workspace.root / ".data" / "mine" / "a.db"

    code, output = up_in("--database-url", f"zz-probe-a=sqlite:///{inside}")

    assert code == 0, output
    assert "Stopped cleanly." in output


def test_without_a_terminal_prints_one_whole_line_per_service(
    fake_workspace: FakeWorkspace, up_in: Callable[..., tuple[int, str]], tmp_path: Path
) -> None:
    ports = {"zz-probe-a": any_free_port(), "zz-probe-with-a-long-name": any_free_port()}
    for name, port in ports.items():
        fake_workspace.add(name, port)

    code, output = up_in()

    assert code == 0, output
    lines = output.splitlines()
    for name, port in ports.items():
        url = f"http://127.0.0.1:{port}"
        [line] = [line for line in lines if line.startswith(f"{name} ")]
        assert re.search(rf"{re.escape(url)} .*{re.escape(url)}/docs .*logs/{name}\.log$", line)
    assert any(GIVEN_NATS in line for line in lines), output  # the password too, unbroken
    assert f"Logs and data: {tmp_path / 'run'}. Press Ctrl-C to stop." in lines
    assert lines[-1] == "Stopped cleanly."


def test_refuses_a_registered_port_in_use_naming_it_and_the_service(
    fake_workspace: FakeWorkspace,
    up_in: Callable[..., tuple[int, str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(up_command, "PORT_WAIT_S", 0.3)
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        fake_workspace.add("zz-probe-a", port)

        code, output = up_in()

    assert code == 2, output
    refusal = output.splitlines()[-1]
    assert_one_sentence(refusal, f"port {port}", "zz-probe-a", "--free-ports")
    assert "Press Ctrl-C" not in output


def test_free_ports_runs_beside_whatever_holds_the_registered_ones(
    fake_workspace: FakeWorkspace, up_in: Callable[..., tuple[int, str]]
) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        fake_workspace.add("zz-probe-a", port)

        code, output = up_in("--free-ports")

    assert code == 0, output
    assert re.search(r"^zz-probe-a +http://127\.0\.0\.1:\d+ ", output, re.MULTILINE), output
    assert f"127.0.0.1:{port}" not in output


# Stand-ins never open their database: a PostgreSQL URL lets them run as replicas.
NEVER_OPENED = "postgresql://nobody@127.0.0.1:9/never-opened"


def test_up_refuses_replicas_on_sqlite_in_one_sentence_and_starts_nothing(
    fake_workspace: FakeWorkspace, up_in: Callable[..., tuple[int, str]], tmp_path: Path
) -> None:
    fake_workspace.add("zz-probe-a", any_free_port())
    fake_workspace.add("zz-probe-b", any_free_port())

    # zz-probe-a on PostgreSQL is not enough: zz-probe-b stays on SQLite.
    code, output = up_in("--replicas", "2", "--database-url", f"zz-probe-a={NEVER_OPENED}")

    assert code == 2, output
    assert_one_sentence(output, "SQLite is one process per service", "--postgres", "zz-probe-b")
    assert "zz-probe-a" not in output
    assert not (tmp_path / "run" / "logs").exists(), "something was started"


def test_up_lists_every_replica_on_its_own_port_the_first_on_the_registered_one(
    fake_workspace: FakeWorkspace, up_in: Callable[..., tuple[int, str]]
) -> None:
    port = any_free_port()
    fake_workspace.add("zz-probe-a", port)

    code, output = up_in("--replicas", "3", "--database-url", f"zz-probe-a={NEVER_OPENED}")

    assert code == 0, output
    urls = {
        label: url
        for label, url in re.findall(r"^(zz-probe-a(?:-\d)?) +(http://\S+) ", output, re.M)
    }
    assert set(urls) == {"zz-probe-a", "zz-probe-a-2", "zz-probe-a-3"}, output
    assert urls["zz-probe-a"] == f"http://127.0.0.1:{port}"
    assert len(set(urls.values())) == 3, urls
    assert output.splitlines()[-1] == "Stopped cleanly."


def test_postgres_mode_refuses_in_one_sentence_when_the_server_is_not_there(
    fake_workspace: FakeWorkspace,
    up_in: Callable[..., tuple[int, str]],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    fake_workspace.add("zz-probe-a", any_free_port())
    monkeypatch.setenv("MKSERVICE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:9/postgres")

    code, output = up_in("--postgres", "--replicas", "2")

    assert code == 2, output
    assert_one_sentence(output, "PostgreSQL", "zz-probe-a", "127.0.0.1:9")
    assert not (tmp_path / "run" / "logs").exists(), "something was started"
