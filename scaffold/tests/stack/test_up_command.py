"""``mkservice up``'s options are checked before anything starts."""

from __future__ import annotations

import typer
from typer.testing import CliRunner

from mkservice.commands import up as up_command


def _run(*args: str) -> tuple[int, str]:
    app = typer.Typer()

    @app.callback()
    def _root() -> None:
        """A stand-in for the mkservice root command."""

    up_command.register(app)
    result = CliRunner().invoke(app, ["up", *args], catch_exceptions=False, env={"COLUMNS": "200"})
    return result.exit_code, result.output


def test_refuses_a_database_url_without_a_service_name() -> None:
    code, output = _run("--database-url", "postgresql://x@127.0.0.1/orders")

    assert code == 2
    assert "is not SERVICE=URL" in output


def test_refuses_a_database_url_it_cannot_run() -> None:
    code, output = _run("--database-url", "orders=mysql://x@127.0.0.1/orders")

    assert code == 2
    assert "unknown database scheme 'mysql'" in output


def test_refuses_a_database_url_for_a_service_that_does_not_exist() -> None:
    code, output = _run("--database-url", "shipping=postgresql://x@127.0.0.1/shipping")

    assert code == 2
    assert "database URL for an unknown service: shipping" in output
