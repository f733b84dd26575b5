"""``mkservice nats-users``: the NATS users of docker-compose.yml and docker-compose.cluster.yml
rendered again from what every service declares in the ``nats`` section of its
``.mkservice.json`` (ADR 0009)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from mkservice.commands.stopping import stop
from mkservice.workspace import workspace_root

if TYPE_CHECKING:
    from pathlib import Path

    from mkservice.generator.compose_file import ComposeShape


def register(app: typer.Typer) -> None:
    """Add the ``nats-users`` command to ``app``."""
    app.command("nats-users")(nats_users)


def nats_users(
    check: Annotated[
        bool,
        typer.Option("--check", help="Only say whether they are up to date; exit 1 if not."),
    ] = False,
) -> None:
    """Render the NATS users of docker-compose.yml (and docker-compose.cluster.yml) again after
    a service's `nats` section changed: a user per service block, allowed what its service
    declares."""
    from mkservice.generator.atomic import write_atomically
    from mkservice.generator.compose_cluster import CLUSTER
    from mkservice.generator.compose_file import SINGLE_NODE

    root = workspace_root()
    # Both files are rendered before either is written: one that cannot be leaves both alone.
    # The cluster file is optional (a workspace from before it); docker-compose.yml is not.
    rendered = [(shape, *_render(root, shape)) for shape in (SINGLE_NODE, CLUSTER)]
    stale = False
    for shape, old_text, new_text in rendered:
        if old_text is None:
            continue
        if new_text == old_text:
            typer.echo(f"{shape.file}: the NATS users are up to date.")
        elif check:
            typer.echo(f"{shape.file}: the NATS users are out of date; run `mkservice nats-users`.")
            stale = True
        else:
            write_atomically(root / shape.file, new_text)
            typer.echo(f"{shape.file}: the NATS users were rendered again from the grants.")
    if stale:
        raise typer.Exit(1)


def _render(root: Path, shape: ComposeShape) -> tuple[str | None, str]:
    """The file's text and its text with the users rendered again; ``None`` for a missing
    cluster file. Stops with exit 2 and one sentence when the file cannot be used."""
    from mkservice.generator.compose import render_nats_users
    from mkservice.generator.compose_file import COMPOSE_FILE
    from mkservice.generator.errors import GenerationFailed

    path = root / shape.file
    try:
        old_text = path.read_text(encoding="utf-8")
        return old_text, render_nats_users(old_text, root, shape=shape)
    except FileNotFoundError:
        if shape.file != COMPOSE_FILE:
            return None, ""
        stop(f"There is no {COMPOSE_FILE} in {root}.")
    except GenerationFailed as failure:
        stop(f"{shape.file} was left as it was: {failure}")
