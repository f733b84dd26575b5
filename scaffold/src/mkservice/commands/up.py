"""``mkservice up``: run nats-server and every service until Ctrl-C (what ``make up`` runs)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

if TYPE_CHECKING:
    from chassis.testing import PostgresSandbox, SandboxDatabase
    from rich.console import Console

    from mkservice.stack import Supervisor

# How long a service's registered port that is taken is waited for (a stack stopped a moment ago
# may still be letting go of it) before `up` refuses to start.
PORT_WAIT_S = 10.0

SQLITE_REPLICAS_REFUSED = (
    "SQLite is one process per service: --replicas needs PostgreSQL (--postgres, or "
    "--database-url SERVICE=postgresql://... for {services})."
)


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
            "(repeatable); the others use SQLite in the run folder. A relative SQLite path is "
            "read from the current folder.",
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
    free_ports: Annotated[
        bool,
        typer.Option(
            "--free-ports",
            help="Give every service a free port instead of the one its record registers "
            "(to run beside another stack). Without it, a registered port in use stops `up`.",
        ),
    ] = False,
    replicas: Annotated[
        int,
        typer.Option(
            "--replicas",
            min=1,
            help="Run N processes of each service, all on that service's one database (so "
            "PostgreSQL: --postgres or --database-url). The first takes the registered port, "
            "the others free ports; each replica's URL is printed.",
        ),
    ] = 1,
    nats_cluster: Annotated[
        int,
        typer.Option(
            "--nats-cluster",
            min=1,
            metavar="NODES",
            help="Start NODES nats-server processes with routes (3 is the production shape): "
            "each service gets every node's URL and streams of NODES replicas.",
        ),
    ] = 1,
    saga_console: Annotated[
        bool,
        typer.Option(
            "--console/--no-console",
            help="Start the saga console (bound to 127.0.0.1) once the services are ready.",
        ),
    ] = True,
    postgres: Annotated[
        bool,
        typer.Option(
            "--postgres",
            help="Give each service without a --database-url a throwaway PostgreSQL database "
            "and role on the server at $MKSERVICE_TEST_POSTGRES_URL (default "
            "postgresql://postgres@127.0.0.1:5432/postgres), dropped when the stack stops.",
        ),
    ] = False,
) -> None:
    """Run nats-server and every service until Ctrl-C.

    Prints each service's URL and API docs, and where the logs are. Ctrl-C stops the services,
    then nats-server. Data persists between runs in the run folder (`make clean` removes it),
    except the throwaway databases of --postgres.

    With --replicas N each service runs as N processes, each on its own port; nothing here
    spreads requests over them (there is no proxy): a real deployment puts a load balancer in
    front of a service's replicas.
    """
    # Imported here so that `mkservice --help` does not load rich and the chassis.
    from chassis.settings import DATA_DIR_ENV
    from chassis.testing import PostgresSandbox
    from rich.console import Console
    from rich.markup import escape

    from mkservice.stack import (
        DiscoveryError,
        PortInUse,
        StackError,
        Supervisor,
        discover_services,
        stop_signals_interrupt,
    )
    from mkservice.stack.database_urls import DatabaseUrlRefused, read_database_urls
    from mkservice.stack.dev_issuer import workspace_issuer
    from mkservice.stack.render import print_services
    from mkservice.workspace import workspace_root

    repo = workspace_root()
    console = Console()
    data_dir = Path(os.environ.get(DATA_DIR_ENV) or repo / ".data")
    run_dir = run_dir or data_dir / "stack"
    sandbox: PostgresSandbox | None = None
    try:
        given = read_database_urls(
            database_url or [], cwd=Path.cwd(), data_dir=data_dir, run_dir=run_dir
        )
        specs = discover_services(repo)
        database_urls = {service: database.url for service, database in given.items()}
        if replicas > 1 and not postgres:
            on_sqlite = [s.name for s in specs if _is_sqlite(database_urls.get(s.name))]
            if on_sqlite:
                _refuse(SQLITE_REPLICAS_REFUSED.format(services=", ".join(on_sqlite)))
        migration_urls: dict[str, str] = {}
        if postgres:
            sandbox = PostgresSandbox()
            for spec in specs:
                if spec.name not in database_urls:
                    throwaway = _throwaway_database(sandbox, spec.name)
                    database_urls[spec.name] = throwaway.url
                    migration_urls[spec.name] = throwaway.migration_url
        # The seed needs the migrated database, and serving migrates only after it would run.
        has_inventory = any(spec.name == "inventory" for spec in specs)
        prepare = {"inventory": [["migrate"], ["seed"]]} if seed and has_inventory else None
        supervisor = Supervisor(
            specs, run_dir, nats_url=nats_url, prepare=prepare, cwd=repo,
            database_urls=database_urls, migration_database_urls=migration_urls,
            replicas=replicas, nats_cluster=nats_cluster,
            prefer_registered_ports=not free_ports, port_wait=PORT_WAIT_S, console=saga_console,
            issuer=workspace_issuer(data_dir),  # the key `mkservice token` signs with
        )  # fmt: skip
    except (DatabaseUrlRefused, DiscoveryError, StackError) as error:
        _drop(sandbox)
        _refuse(f"Cannot start the stack: {str(error).rstrip('.')}.")
    except BaseException:
        _drop(sandbox)
        raise
    for database in given.values():
        if database.note:
            _say(console, database.note)
    with stop_signals_interrupt():
        try:
            with console.status(f"Starting {', '.join(s.name for s in specs)}..."):
                supervisor.start()
        except PortInUse as error:
            _drop(sandbox)
            _refuse(
                f"Cannot start the stack: {error}; stop that program, or give every service a "
                "free port with --free-ports."
            )
        except StackError as error:
            _drop(sandbox)
            _say(console, f"[bold red]The stack did not start:[/] {escape(str(error))}")
            raise typer.Exit(1) from None
        except KeyboardInterrupt:
            _drop(sandbox)
            _say(console, "Interrupted; everything started is stopped.")
            raise typer.Exit(130) from None
        try:
            # Inside the try: a Ctrl-C right after the prompt appears must still stop the stack.
            print_services(console, supervisor)
            if supervisor.console_url:
                _say(console, f"Saga console: {supervisor.console_url}")
            _say(console, "Tokens for the APIs: mkservice token --customer c-1 [--scope admin]")
            _say(console, f"Logs and data: {supervisor.run_dir}. Press Ctrl-C to stop.")
            _watch(console, supervisor)
        except KeyboardInterrupt:
            pass
        finally:
            with console.status("Stopping the services, then nats-server..."):
                try:
                    supervisor.stop()
                finally:
                    _drop(sandbox)
    _say(console, "Stopped cleanly.")


def _is_sqlite(url: str | None) -> bool:
    """Whether a service with this database URL (None: the default) is on SQLite."""
    return url is None or url.partition(":")[0].startswith("sqlite")


def _throwaway_database(sandbox: PostgresSandbox, service: str) -> SandboxDatabase:
    """A new database and the two roles of ``service`` (its migrator and its runtime role);
    refuses (exit 2) when PostgreSQL is not there."""
    try:
        return sandbox.database(service)
    except Exception as error:  # refused, unknown host, bad password: all mean "not usable"
        server = sandbox.admin_url.render_as_string(hide_password=True)
        _refuse(f"Cannot create a PostgreSQL database for {service} on {server}: {error}.")


def _drop(sandbox: PostgresSandbox | None) -> None:
    """Drop the throwaway databases and roles of ``--postgres`` (nothing without it)."""
    if sandbox is not None:
        sandbox.close()


def _say(console: Console, text: str) -> None:
    """Print ``text`` unwrapped (rich markup allowed): a path or URL in it must stay whole."""
    console.print(text, soft_wrap=True, highlight=False)


def _refuse(sentence: str) -> NoReturn:
    """One plain sentence on stderr, exit status 2: nothing was started."""
    typer.echo(sentence, err=True)
    raise typer.Exit(2)


def _watch(console: Console, supervisor: Supervisor) -> None:
    """Wait for Ctrl-C; say so once when a service exits on its own (it is not restarted)."""
    import time

    from rich.markup import escape

    reported: set[str] = set()
    while True:
        time.sleep(0.5)
        page = [supervisor.console] if supervisor.console is not None else []
        for process in [*supervisor.processes, *page]:
            if not process.running and process.label not in reported:
                reported.add(process.label)
                _say(
                    console,
                    f"[bold red]{process.label} exited.[/] Its log ends with:\n"
                    + escape(process.latest_log()),
                )
