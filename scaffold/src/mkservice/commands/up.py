"""``mkservice up``: run nats-server and every service until Ctrl-C (what ``make up`` runs)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from rich.console import Console

    from mkservice.stack import Supervisor


def register(app: typer.Typer) -> None:
    """Add the ``up`` command to ``app``."""
    app.command("up")(up)


def up(
    database_url: Annotated[
        list[str] | None,
        typer.Option(
            "--database-url",
            metavar="SERVICE=URL",
            help="A service's database, e.g. orders=postgresql://orders:pw@127.0.0.1/orders "
            "(repeatable); the others use SQLite in the run folder.",
        ),
    ] = None,
    nats_url: Annotated[
        str | None,
        typer.Option("--nats-url", help="Use this NATS (with JetStream) instead of starting one."),
    ] = None,
    seed: Annotated[
        bool,
        typer.Option(
            "--seed/--no-seed",
            help="Load inventory's demo catalogue before serving (idempotent: kept stock stays).",
        ),
    ] = True,
    run_dir: Annotated[
        Path | None,
        typer.Option("--run-dir", help="Logs and SQLite files (default: <data dir>/stack)."),
    ] = None,
) -> None:
    """Run nats-server and every service until Ctrl-C.

    Prints each service's URL and API docs, and where the logs are. Ctrl-C stops the services,
    then nats-server. Data persists between runs in the run folder (`make clean` removes it).
    """
    # Imported here so that `mkservice --help` does not load rich and the chassis.
    from chassis.settings import DATA_DIR_ENV
    from rich.console import Console

    from mkservice.stack import (
        DiscoveryError,
        StackError,
        Supervisor,
        discover_services,
        stop_signals_interrupt,
    )
    from mkservice.stack.render import services_table
    from mkservice.workspace import workspace_root

    repo = workspace_root()
    console = Console()
    urls = _database_urls(database_url or [])
    data_dir = Path(os.environ.get(DATA_DIR_ENV) or repo / ".data")
    try:
        specs = discover_services(repo)
        # The seed needs the migrated database, and serving migrates only after it would run.
        has_inventory = any(spec.name == "inventory" for spec in specs)
        prepare = {"inventory": [["migrate"], ["seed"]]} if seed and has_inventory else None
        supervisor = Supervisor(specs, run_dir or data_dir / "stack", nats_url=nats_url,
                                database_urls=urls, prepare=prepare, cwd=repo)  # fmt: skip
    except (DiscoveryError, StackError) as error:
        console.print(f"[bold red]Cannot start the stack:[/] {error}", highlight=False)
        raise typer.Exit(2) from None
    with stop_signals_interrupt():
        try:
            with console.status(f"Starting {', '.join(s.name for s in specs)}..."):
                supervisor.start()
        except StackError as error:
            console.print(f"[bold red]The stack did not start:[/] {error}", highlight=False)
            raise typer.Exit(1) from None
        except KeyboardInterrupt:
            console.print("Interrupted; everything started is stopped.")
            raise typer.Exit(130) from None
        try:
            # Inside the try: a Ctrl-C right after the prompt appears must still stop the stack.
            console.print(services_table(supervisor))
            console.print(f"Logs and data: {supervisor.run_dir}. Press Ctrl-C to stop.")
            _watch(console, supervisor)
        except KeyboardInterrupt:
            pass
        finally:
            with console.status("Stopping the services, then nats-server..."):
                supervisor.stop()
    console.print("Stopped cleanly.")


def _database_urls(pairs: list[str]) -> dict[str, str]:
    """``["orders=postgresql://..."]`` as ``{"orders": "postgresql://..."}``, each URL checked."""
    from chassis.settings import normalize_database_url

    urls: dict[str, str] = {}
    for pair in pairs:
        service, sep, url = pair.partition("=")
        if not sep or not service or not url:
            raise typer.BadParameter(f"{pair!r} is not SERVICE=URL", param_hint="--database-url")
        try:
            normalize_database_url(url)
        except ValueError as error:
            raise typer.BadParameter(f"{service}: {error}", param_hint="--database-url") from None
        urls[service.strip()] = url
    return urls


def _watch(console: Console, supervisor: Supervisor) -> None:
    """Wait for Ctrl-C; say so once when a service exits on its own (it is not restarted)."""
    import time

    from mkservice.stack import log_tail

    reported: set[str] = set()
    while True:
        time.sleep(0.5)
        for name, process in supervisor.services.items():
            if not process.running and name not in reported:
                reported.add(name)
                console.print(
                    f"[bold red]{name} exited.[/] Its log ends with:\n{log_tail(process.log_file)}",
                    highlight=False,
                )
