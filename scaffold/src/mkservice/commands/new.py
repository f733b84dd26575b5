"""``mkservice new NAME``: generate a service from the template and register it everywhere.

Exit status: 0 done, 1 a step failed (and every change was undone), 2 refused (bad name or
port; nothing written).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated, Any

import typer

from mkservice.commands.stopping import stop
from mkservice.workspace import workspace_root

if TYPE_CHECKING:
    from rich.console import Console

    from mkservice.generator import Outcome, Plan


def register(app: typer.Typer) -> None:
    """Add the ``new`` command to ``app``."""
    app.command("new")(new)


def new(
    name: Annotated[
        str, typer.Argument(help="The service name, kebab-case: shipping, order-history.")
    ],
    port: Annotated[
        int | None,
        typer.Option("--port", help="Its HTTP port (default: the first free one from 8001)."),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print what would be created; write nothing.")
    ] = False,
    json_output: Annotated[
        bool, typer.Option("--json", help="Print a machine-readable JSON object.")
    ] = False,
    no_install: Annotated[
        bool,
        typer.Option("--no-install", help="Skip `uv sync --all-packages` (lock only)."),
    ] = False,
) -> None:
    """Create services/NAME from the template: its own package, database, migrations, stream,
    port and tests; registered in the uv workspace and lock, docker-compose.yml and the port
    registry. Atomic: a failed or interrupted run leaves the repo as it was."""
    from mkservice.generator import GenerationFailed, Refused, create_service, plan_service

    root = workspace_root()
    try:
        plan = plan_service(root, name, port)
    except Refused as refusal:
        stop(str(refusal), 2, json_output)
    except GenerationFailed as failure:
        stop(f"Nothing was created: {failure}", 1, json_output)

    if dry_run:
        _report(plan, None, json_output)
        return
    console = None if json_output else _console()
    try:
        outcome = create_service(
            plan,
            install=not no_install,
            quiet=json_output,
            step=None if console is None else lambda text: console.print(f"[dim]... {text}[/]"),
        )
    except GenerationFailed as failure:
        stop(f"Nothing was created: {failure}", 1, json_output)
    except KeyboardInterrupt:
        stop("Interrupted: nothing was created, every change was undone.", 130, json_output)
    _report(plan, outcome, json_output)
    if outcome.installed is False:
        raise typer.Exit(1)


def _console() -> Console:
    from rich.console import Console

    return Console(highlight=False)


def _summary(plan: Plan, outcome: Outcome | None) -> dict[str, Any]:
    names = plan.names
    return {
        "ok": True,
        "dry_run": outcome is None,
        "service": names.slug,
        "path": f"services/{names.slug}",
        "package": names.package,
        "port": plan.port,
        "env_prefix": names.env_prefix,
        "database_env": names.database_env,
        "stream": names.stream,
        "subjects": f"{names.slug}.>",
        "template_version": plan.template.version,
        "files": plan.files,
        "compose": {
            "file": plan.compose.path.name,
            "service": names.slug,
            "init_script": plan.compose.init_script,
            "replaced_stale_block": plan.compose.replaced_stale_block,
        },
        "locked": outcome is not None,
        "installed": None if outcome is None else outcome.installed,
        "notes": [] if outcome is None else outcome.notes,
        "next_steps": _next_steps(plan, outcome),
    }


def _next_steps(plan: Plan, outcome: Outcome | None) -> list[str]:
    steps = [] if outcome is None or outcome.installed else ["make bootstrap"]
    return [
        *steps,
        f"uv run python -m {plan.names.package} migrate",
        # The port lives in the record only: the service's own default is the chassis's 8000.
        f"{plan.names.env_prefix}PORT={plan.port} uv run python -m {plan.names.package} serve",
        "make test",
    ]


def _report(plan: Plan, outcome: Outcome | None, json_output: bool) -> None:
    summary = _summary(plan, outcome)
    if json_output:
        typer.echo(json.dumps(summary, indent=2))
        return
    from rich.table import Table

    console = _console()
    verb = "Would create" if outcome is None else "Created"
    console.print(f"[bold green]{verb}[/] services/{plan.names.slug} ({len(plan.files)} files)")
    facts = Table.grid(padding=(0, 2))
    facts.add_row("package", plan.names.package)
    facts.add_row("port", str(plan.port))
    facts.add_row("env prefix", f"{plan.names.env_prefix}  (database: {plan.names.database_env})")
    facts.add_row("stream", f"{plan.names.stream}  (subjects {plan.names.slug}.>)")
    compose = summary["compose"]
    replaced = " (replacing a stale block)" if compose["replaced_stale_block"] else ""
    facts.add_row(
        "compose",
        f"{compose['file']}: service {plan.names.slug}{replaced}, "
        f"init script {compose['init_script']}",
    )
    lock_state = "would add it to uv.lock" if outcome is None else "uv.lock updated"
    facts.add_row("workspace", f"member services/{plan.names.slug}; {lock_state}")
    console.print(facts)
    if outcome is None:
        for path in plan.files:
            console.print(f"  services/{plan.names.slug}/{path}", style="dim")
        return
    for note in outcome.notes:
        console.print(f"[yellow]note:[/] {note}")
    console.print("[bold]Next steps[/]")
    for step in summary["next_steps"]:
        console.print(f"  {step}")
