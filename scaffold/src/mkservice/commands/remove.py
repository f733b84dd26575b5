"""``mkservice remove NAME...``: take services out of the workspace, the mirror of ``new``.

Exit status: 0 done, 1 a step failed (and every change was undone), 2 refused (an unknown name,
or a service that stays still talks to one that would go; nothing written), 130 interrupted
(every change undone).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated, Any

import typer

from mkservice.commands.stopping import stop
from mkservice.workspace import workspace_root

if TYPE_CHECKING:
    from mkservice.generator.remove import RemovalOutcome, RemovalPlan


def register(app: typer.Typer) -> None:
    """Add the ``remove`` command to ``app``."""
    app.command("remove")(remove)


def remove(
    names: Annotated[list[str], typer.Argument(help="The services to remove: shipping ...")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print what would be removed; change nothing.")
    ] = False,
    json_output: Annotated[
        bool, typer.Option("--json", help="Print a machine-readable JSON object.")
    ] = False,
    no_sync: Annotated[
        bool,
        typer.Option("--no-sync", help="Skip `uv sync --all-packages` (lock only)."),
    ] = False,
) -> None:
    """Remove services/NAME and everything `mkservice new` registered for it: its block and
    init script in docker-compose.yml, its NATS user, its workspace entry and its uv.lock
    entries. Atomic: a failed or interrupted run leaves the repo as it was."""
    from mkservice.generator.errors import GenerationFailed, Refused
    from mkservice.generator.remove import plan_removal, remove_services

    root = workspace_root()
    try:
        plan = plan_removal(root, names)
    except Refused as refusal:
        stop(str(refusal), 2, json_output)
    except GenerationFailed as failure:
        stop(f"Nothing was removed: {failure}", 1, json_output)
    if dry_run:
        _report(plan, None, json_output)
        return
    try:
        outcome = remove_services(plan, sync=not no_sync, quiet=json_output)
    except GenerationFailed as failure:
        stop(f"Nothing was removed: {failure}", 1, json_output)
    except KeyboardInterrupt:
        stop("Interrupted: nothing was removed, every change was undone.", 130, json_output)
    _report(plan, outcome, json_output)
    if outcome.synced is False:
        raise typer.Exit(1)


def _summary(plan: RemovalPlan, outcome: RemovalOutcome | None) -> dict[str, Any]:
    return {
        "ok": True,
        "dry_run": outcome is None,
        "removed": [
            {
                "service": removal.slug,
                "path": None if removal.folder is None else f"services/{removal.slug}",
                "compose_block": removal.compose_block,
                "init_mounts": list(removal.init_mounts),
                "workspace_entry": removal.workspace_entry,
            }
            for removal in plan.removals
        ],
        "locked": outcome is not None,
        "synced": None if outcome is None else outcome.synced,
        "notes": [] if outcome is None else outcome.notes,
    }


def _report(plan: RemovalPlan, outcome: RemovalOutcome | None, json_output: bool) -> None:
    summary = _summary(plan, outcome)
    if json_output:
        typer.echo(json.dumps(summary, indent=2))
        return
    from rich.console import Console

    console = Console(highlight=False)
    verb = "Would remove" if outcome is None else "Removed"
    for removal in plan.removals:
        parts = [f"services/{removal.slug}" if removal.folder is not None else None]
        if removal.compose_block:
            parts.append("its docker-compose.yml block and NATS user")
        if removal.init_mounts:
            parts.append("its postgres init script")
        if removal.workspace_entry:
            parts.append("its workspace member")
        shown = ", ".join(part for part in parts if part)
        console.print(f"[bold green]{verb}[/] {removal.slug}: {shown}")
    lock_state = "would update uv.lock" if outcome is None else "uv.lock updated"
    console.print(f"workspace: {lock_state}")
    for note in [] if outcome is None else outcome.notes:
        console.print(f"[yellow]note:[/] {note}")
