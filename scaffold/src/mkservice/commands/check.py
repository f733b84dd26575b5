"""``mkservice check``: does every service own its data, schema and code?

Exit status: 0 when every check passes, 1 when one fails, 2 when the command cannot run (no
workspace, no ``services/`` folder).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

if TYPE_CHECKING:
    from mkservice.check import CheckResult, Service

USAGE_ERROR = 2


def register(app: typer.Typer) -> None:
    """Add the ``check`` command to ``app``."""
    app.command("check")(check)


def check(
    json_output: Annotated[
        bool, typer.Option("--json", help="Print a machine-readable JSON object.")
    ] = False,
    runtime: Annotated[
        bool,
        typer.Option(
            "--runtime",
            help="Also start each service alone and run each service's tests alone (slow).",
        ),
    ] = False,
    repo: Annotated[
        Path | None,
        typer.Option("--repo", help="The workspace root (default: the one above this folder)."),
    ] = None,
    against: Annotated[
        str | None,
        typer.Option(
            "--against",
            help="The git ref the contracts are compared with (default: the merge base with "
            "the main branch, or the last commit).",
        ),
    ] = None,
) -> None:
    """Look for the signs of a distributed monolith: shared tables, schema coupling,
    cross-service queries, imports of another service's code, shared databases or roles,
    breaking contract changes, unresolved merge conflicts."""
    # Imported here, not at the top: SQLAlchemy and sqlglot take about a second to load, and
    # every other mkservice command would pay for it at start-up.
    from mkservice.check import (
        Report,
        discover_services,
        render_report,
        report_json,
        run_static_checks,
    )

    root = _workspace(repo)
    try:
        services = discover_services(root)
    except FileNotFoundError as error:
        _usage_error(str(error))
    from mkservice.check.contracts import UnknownRef

    try:
        report = run_static_checks(root, services, against=against)
    except UnknownRef as error:
        _usage_error(f"{error}; pass a branch, tag or commit to --against")
    if runtime:
        report = Report(report.checks + tuple(_runtime_checks(root, services)))
    if json_output:
        typer.echo(report_json(report))
    else:
        from rich.console import Console

        render_report(report, Console())
    raise typer.Exit(0 if report.ok else 1)


def _workspace(repo: Path | None) -> Path:
    from chassis.workspace import find_workspace_root

    if repo is not None:
        if not repo.is_dir():
            _usage_error(f"{repo} is not a folder")
        return repo.resolve()
    found = find_workspace_root()
    if found is None:
        _usage_error("no uv workspace above the current folder; pass --repo")
    return found


def _runtime_checks(repo: Path, services: Sequence[Service]) -> list[CheckResult]:
    from mkservice.check.runtime import run_runtime_checks

    return run_runtime_checks(repo, services)


def _usage_error(message: str) -> NoReturn:
    from rich.console import Console

    Console(stderr=True).print(f"[bold red]mkservice check:[/] {message}", highlight=False)
    raise typer.Exit(USAGE_ERROR)
