"""``mkservice demo``: the reference checkout end to end (what ``make demo`` runs)."""

from __future__ import annotations

from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    """Add the ``demo`` command to ``app``."""
    app.command("demo")(demo)


def demo(
    keep: Annotated[
        bool, typer.Option("--keep", help="Keep the run folder (logs, databases) after success.")
    ] = False,
    stay: Annotated[
        bool,
        typer.Option(
            "--stay",
            help="Keep the stack and the saga console running after the demo, until Ctrl-C.",
        ),
    ] = False,
) -> None:
    """Run the reference checkout end to end: one order of each outcome.

    Starts nats-server and every service on SQLite in a fresh run folder, places one order of
    each outcome (confirmed, out of stock, declined, timed out), prints each saga's timeline and
    the final stock and payments, then stops everything (with --stay, once you press Ctrl-C).
    The saga console's URL is printed with the services'. Exits 1 if an order ends other than
    expected.
    """
    # Imported here so that `mkservice --help` does not load rich, httpx and the chassis.
    from rich.console import Console

    from mkservice.workspace import workspace_root
    from mkservice_lab.demo import run_demo

    raise typer.Exit(run_demo(Console(), workspace_root(), keep=keep, stay=stay))
