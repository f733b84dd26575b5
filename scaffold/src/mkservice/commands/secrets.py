"""``mkservice secrets``: write (or extend) the git-ignored ``.env`` with a random password for
every variable compose and the init scripts read: ``POSTGRES_PASSWORD`` and each service's
``<PREFIX>DB_PASSWORD``, ``<PREFIX>MIGRATOR_DB_PASSWORD`` and ``<PREFIX>NATS_PASSWORD``
(docs/adr/0025-least-privilege-roles-and-secrets.md).

Exit status: 0 done (or nothing to do), 1 ``--check`` found variables missing, 2 the ``.env``
cannot be read (nothing written).
"""

from __future__ import annotations

from typing import Annotated

import typer

from mkservice.commands.stopping import stop
from mkservice.workspace import workspace_root


def register(app: typer.Typer) -> None:
    """Add the ``secrets`` command to ``app``."""
    app.command("secrets")(secrets)


def secrets(
    check: Annotated[
        bool,
        typer.Option("--check", help="Only list the variables .env lacks; exit 1 if any."),
    ] = False,
) -> None:
    """Give every password the stack reads a random value in .env (git-ignored, mode 0600).
    Existing values and other lines are kept: run it again after `mkservice new`, or to see
    that nothing is missing. To rotate one, delete its line and run this (ADR 0025)."""
    from mkservice.generator.env_file import EnvFileError, extend, required_variables

    root = workspace_root()
    try:
        extension = extend(root, required_variables(root), write=not check)
    except (EnvFileError, UnicodeDecodeError) as error:
        stop(f"{root / '.env'} was left as it was: {error}.")
    except OSError as error:
        stop(f"{root / '.env'} could not be written ({error.strerror or error}).")
    name = extension.path.name
    if not extension.added:
        typer.echo(f"{name}: every password is set; nothing changed.")
        return
    listed = ", ".join(extension.added)
    if check:
        typer.echo(f"{name} lacks {listed}; run `mkservice secrets`.")
        raise typer.Exit(1)
    verb = "created with" if extension.created else "added"
    typer.echo(f"{name}: {verb} {listed}.")
