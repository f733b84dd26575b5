"""``mkservice nats-users``: docker-compose.yml's NATS users rendered again from what every
service declares in the ``nats`` section of its ``.mkservice.json`` (ADR 0009)."""

from __future__ import annotations

from typing import Annotated, NoReturn

import typer

from mkservice.workspace import workspace_root


def register(app: typer.Typer) -> None:
    """Add the ``nats-users`` command to ``app``."""
    app.command("nats-users")(nats_users)


def nats_users(
    check: Annotated[
        bool,
        typer.Option("--check", help="Only say whether they are up to date; exit 1 if not."),
    ] = False,
) -> None:
    """Render docker-compose.yml's NATS users again after a service's `nats` section changed:
    a user per service block, allowed what its service declares."""
    from mkservice.generator.atomic import write_atomically
    from mkservice.generator.compose import render_nats_users
    from mkservice.generator.compose_file import COMPOSE_FILE
    from mkservice.generator.errors import GenerationFailed

    root = workspace_root()
    path = root / COMPOSE_FILE
    try:
        old_text = path.read_text(encoding="utf-8")
        new_text = render_nats_users(old_text, root)
    except FileNotFoundError:
        _stop(f"There is no {COMPOSE_FILE} in {root}.")
    except GenerationFailed as failure:
        _stop(f"{COMPOSE_FILE} was left as it was: {failure}")
    if new_text == old_text:
        typer.echo(f"{COMPOSE_FILE}: the NATS users are up to date.")
        return
    if check:
        typer.echo(f"{COMPOSE_FILE}: the NATS users are out of date; run `mkservice nats-users`.")
        raise typer.Exit(1)
    write_atomically(path, new_text)
    typer.echo(f"{COMPOSE_FILE}: the NATS users were rendered again from the services' grants.")


def _stop(sentence: str) -> NoReturn:
    typer.echo(sentence, err=True)
    raise typer.Exit(2)
