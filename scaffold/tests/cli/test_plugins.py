"""Other distributions add commands to mkservice through the ``mkservice.commands`` entry points;
mkservice's own commands work whatever a plugin does."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import EntryPoint

import pytest
import typer

from mkservice import cli

OWN = {
    "check",
    "contracts",
    "list",
    "nats-users",
    "new",
    "remove",
    "secrets",
    "subscribe",
    "test",
    "token",
    "up",
    "upgrade",
}


def _points(*points: EntryPoint) -> object:
    return lambda group: [p for p in points if p.group == group]


def test_mkservice_has_its_own_commands() -> None:
    assert set(cli.BUILT_IN) == OWN
    listed = subprocess.run(
        [sys.executable, "-m", "mkservice", "--help"], capture_output=True, text=True, check=True
    ).stdout
    for name in OWN:
        assert f" {name} " in listed


def test_a_plugin_adds_its_command(monkeypatch: pytest.MonkeyPatch) -> None:
    point = EntryPoint("hello", "mkservice.commands.up:register", cli.PLUGIN_GROUP)
    monkeypatch.setattr(cli, "entry_points", _points(point))

    found = cli.plugin_commands()

    assert list(found) == ["hello"]
    app = typer.Typer()
    found["hello"](app)
    assert [command.name for command in app.registered_commands] == ["up"]


def test_a_broken_plugin_is_skipped_in_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # What a deleted lab looks like until the venv is synced again: its module is gone.
    gone = EntryPoint("demo", "mkservice_gone.commands.demo:register", cli.PLUGIN_GROUP)
    monkeypatch.setattr(cli, "entry_points", _points(gone))

    assert cli.plugin_commands() == {}

    stderr = capsys.readouterr().err
    assert stderr.count("\n") == 1 and "skipped the command 'demo'" in stderr


def test_a_plugin_cannot_replace_a_command_of_mkservice(monkeypatch: pytest.MonkeyPatch) -> None:
    point = EntryPoint("new", "mkservice.commands.up:register", cli.PLUGIN_GROUP)
    monkeypatch.setattr(cli, "entry_points", _points(point))

    assert cli.plugin_commands() == {}
