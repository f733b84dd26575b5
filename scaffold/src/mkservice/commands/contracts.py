"""``mkservice contracts [NAME ...]``: write each service's AsyncAPI document,
``services/<name>/contracts/asyncapi.yaml``, from its contracts module (ADR 0027).

Exit status: 0 written (or already current), 1 ``--check`` found a stale document, 2 a named
service does not exist or its contracts module does not load (nothing written).
"""

from __future__ import annotations

from typing import Annotated

import typer

from mkservice.commands.stopping import stop
from mkservice.workspace import workspace_root


def register(app: typer.Typer) -> None:
    """Add the ``contracts`` command to ``app``."""
    app.command("contracts")(contracts)


def contracts(
    names: Annotated[
        list[str] | None, typer.Argument(help="The services (default: every one).")
    ] = None,
    check: Annotated[
        bool,
        typer.Option("--check", help="Only list the stale documents; exit 1 if any."),
    ] = False,
) -> None:
    """Write the AsyncAPI document of each service from its message contracts: what it
    publishes and accepts, what it sends to and reads from others. Commit the files: `mkservice
    check` compares them with the merge base with main (or --against REF), and each service
    serves its own at /asyncapi.json."""
    from mkservice.contracts.documents import ContractsUnreadable, stale_documents
    from mkservice.generator.atomic import write_atomically
    from mkservice.record import read_registry

    root = workspace_root()
    registry = {service.slug: service for service in read_registry(root)}
    wanted = names or sorted(registry)
    unknown = [name for name in wanted if name not in registry]
    if unknown:
        stop(f"there is no service {unknown[0]!r} under services/ (`mkservice list` shows them).")
    chosen = [(registry[n].name, registry[n].path, registry[n].package) for n in wanted]
    try:
        stale = stale_documents(chosen)
    except ContractsUnreadable as error:
        stop(f"no document was written: {error}.")
    if not stale:
        typer.echo("Every AsyncAPI document is current.")
        return
    listed = ", ".join(str(path.relative_to(root)) for path, _ in stale)
    if check:
        typer.echo(f"Stale: {listed}; run `mkservice contracts`.")
        raise typer.Exit(1)
    for path, text in stale:  # each file is replaced whole, or not at all
        path.parent.mkdir(exist_ok=True)
        write_atomically(path, text)
    typer.echo(f"Wrote {listed}.")
