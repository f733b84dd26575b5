"""``mkservice list``: every service, found by discovery (its ``[tool.mkservice]`` table)."""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING, Annotated, Any

import typer

from mkservice.workspace import workspace_root

if TYPE_CHECKING:
    from pathlib import Path

    from mkservice.generator import RegisteredService

# Where the chassis puts a service's SQLite file when no URL is set (chassis.settings; not
# imported here, since it pulls in SQLAlchemy).
DATA_DIR_ENV = "MKSERVICE_DATA_DIR"


def register(app: typer.Typer) -> None:
    """Add the ``list`` command to ``app``."""
    app.command("list")(list_services)


def list_services(
    json_output: Annotated[
        bool, typer.Option("--json", help="Print a machine-readable JSON object.")
    ] = False,
) -> None:
    """Every service with its port, package, database, stream and migration head."""
    from mkservice.generator import migration_heads, read_registry
    from mkservice.generator.compose_file import stale_blocks

    root = workspace_root()
    rows = [_row(root, service, migration_heads(service.path / "migrations"))
            for service in read_registry(root)]  # fmt: skip
    warnings = stale_blocks(root) + [
        f"services/{row['service']}: {row['problem']}" for row in rows if row["problem"]
    ]
    if json_output:
        typer.echo(json.dumps({"services": rows, "warnings": warnings}, indent=2))
        return
    _print_table(rows, warnings)


def _row(root: Path, service: RegisteredService, heads: list[str]) -> dict[str, Any]:
    data_dir = os.environ.get(DATA_DIR_ENV) or ".data"
    return {
        "service": service.slug,
        "path": str(service.path.relative_to(root)),
        "port": service.port,
        "package": service.package,
        "env_prefix": service.env_prefix,
        "database_env": service.database_env,
        "database_default": f"sqlite+aiosqlite:///{data_dir}/{service.slug}.db",
        "stream": service.stream,
        "subjects": service.subjects,
        "migration_head": ",".join(heads) or None,
        "template_version": service.template_version,
        "problem": service.problem,
    }


_COLUMNS = ("service", "port", "package", "database", "stream", "migration head")


def _print_table(rows: list[dict[str, Any]], warnings: list[str]) -> None:
    from rich import box
    from rich.console import Console
    from rich.table import Table

    console = Console(highlight=False)
    if not rows:
        console.print("No services yet: create one with `mkservice new NAME`.")
    else:
        cells: list[tuple[str, ...]] = [
            (row["service"], str(row["port"] or "-"), row["package"], row["database_env"],
             row["stream"], row["migration_head"] or "-")
            for row in rows
        ]  # fmt: skip
        if console.is_terminal:
            table = Table(box=box.SIMPLE_HEAD, collapse_padding=True, pad_edge=False)
            for column in _COLUMNS:
                table.add_column(column)
            for cell in cells:
                table.add_row(*cell)
            console.print(table)
        else:
            # A pipe or a log: one plain line per service, never wrapped at 80 columns.
            for line in _aligned([_COLUMNS, *cells]):
                typer.echo(line)
        console.print("database: the variable that sets it; unset, a SQLite file .data/<name>.db")
    for warning in warnings:
        Console(stderr=True, highlight=False, soft_wrap=True).print(
            f"[yellow]warning:[/] {warning}"
        )


def _aligned(rows: list[tuple[str, ...]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
