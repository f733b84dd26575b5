"""``mkservice chaos``: the fault suite (what ``make chaos`` and ``make chaos-ci`` run)."""

from __future__ import annotations

from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    """Add the ``chaos`` command to ``app``."""
    app.command("chaos")(chaos)


def chaos(
    ci: Annotated[
        bool, typer.Option("--ci", help="The reduced run: 500 sagas, 32 faults, a few minutes.")
    ] = False,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the orders and fault schedule.")] = 1,
    sagas: Annotated[
        int | None, typer.Option("--sagas", help="Override the number of sagas.")
    ] = None,
    faults: Annotated[
        int | None, typer.Option("--faults", help="Override the number of fault episodes.")
    ] = None,
    postgres_restart: Annotated[
        bool,
        typer.Option(
            "--postgres-restart",
            help="Also restart the local PostgreSQL server (Postgres mode; a machine of your own).",
        ),
    ] = False,
    keep: Annotated[
        bool, typer.Option("--keep", help="Keep the run folder (logs, databases) after success.")
    ] = False,
    replicas: Annotated[
        int,
        typer.Option(
            "--replicas",
            min=1,
            help="Run N processes of each service (Postgres mode); orders are spread over them "
            "and a fault kills one while the others keep serving.",
        ),
    ] = 1,
    nats_cluster: Annotated[
        int,
        typer.Option(
            "--nats-cluster",
            min=1,
            max=5,
            metavar="NODES",
            help="Run NODES nats-server nodes with R3 streams (3 or more); the NATS faults then "
            "kill one node at a time, the stream leader among them, and roll a restart over all.",
        ),
    ] = 1,
    cluster: Annotated[
        bool,
        typer.Option(
            "--cluster",
            help="The production shape: 3 NATS nodes, 2 replicas of each service, PostgreSQL "
            "(restarts included); what `make chaos-cluster` runs.",
        ),
    ] = False,
) -> None:
    """Run the checkout under faults and check that it keeps its promises.

    Starts nats-server (one NATS user per service) and every service as real processes (SQLite,
    or PostgreSQL with MKSERVICE_TEST_DB=postgres), places a seeded stream of orders (ok, out of
    stock, declined, slow payment) while killing services (kill -9 and crash points), stopping
    nats-server and re-publishing messages late and out of order; then waits for the system to
    settle and checks stock, payments, sagas, outboxes and inboxes in every database. The last
    line printed is the verdict; .chaos/report.json holds the details. Exits 1 on any violation.

    With --cluster (or --replicas and --nats-cluster), the faults hit one replica or one NATS node
    at a time and the verdict adds accepted_during_faults, the share of POSTs accepted while the
    checkout was up (target 99.9%).
    """
    # Imported here so that `mkservice --help` does not load the chassis, httpx and nats.
    from chassis.testing import selected_db_mode

    from mkservice.workspace import workspace_root
    from mkservice_lab.chaos import ChaosConfig, run_chaos

    postgres = cluster or selected_db_mode() == "postgres"
    if cluster:
        replicas, nats_cluster = max(replicas, 2), max(nats_cluster, 3)
        postgres_restart = True
    if 1 < nats_cluster < 3:
        typer.echo(
            f"A NATS cluster keeps a quorum with one node down only from 3 nodes: "
            f"--nats-cluster {nats_cluster} would stop with its first node fault.",
            err=True,
        )
        raise typer.Exit(2)
    if postgres_restart and not postgres:
        typer.echo("--postgres-restart needs Postgres mode (MKSERVICE_TEST_DB=postgres)", err=True)
        raise typer.Exit(2)
    if replicas > 1 and not postgres:
        typer.echo(
            "SQLite is one process per service: --replicas needs Postgres mode "
            "(MKSERVICE_TEST_DB=postgres).",
            err=True,
        )
        raise typer.Exit(2)
    overrides: dict[str, object] = {"seed": seed, "postgres": postgres, "keep_run": keep}
    overrides["postgres_restart"] = postgres_restart
    overrides["replicas"] = replicas
    overrides["nats_nodes"] = nats_cluster
    if sagas is not None:
        overrides["sagas"] = sagas
    if faults is not None:
        overrides["fault_episodes"] = faults
    config = ChaosConfig.ci(**overrides) if ci else ChaosConfig.full(**overrides)
    raise typer.Exit(run_chaos(config, workspace_root(), typer.echo))
