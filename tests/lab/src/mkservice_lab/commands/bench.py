"""``mkservice bench``: checkout throughput and latency against floors measured in the same run
(what ``make bench`` runs); ``--profile`` runs the services under cProfile instead, ``--steady``
the checkout at fixed rates with the CPU a saga costs at each."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from mkservice.workspace import workspace_root

if TYPE_CHECKING:
    from rich.console import Console

    from mkservice_lab.bench.against import Part

PARTS = ("floors", "checkout", "generator")


def register(app: typer.Typer) -> None:
    """Add the ``bench`` command to ``app``."""
    app.command("bench")(bench)


def bench(
    quick: Annotated[
        bool, typer.Option("--quick", help="A short smoke run (about a minute); rough figures.")
    ] = False,
    only: Annotated[
        list[str] | None,
        typer.Option("--only", help=f"Run only these parts (repeatable): {', '.join(PARTS)}."),
    ] = None,
    profile: Annotated[
        bool,
        typer.Option("--profile", help="Profile the services (cProfile) at a steady load instead."),
    ] = False,
    steady: Annotated[
        bool,
        typer.Option(
            "--steady", help="Run the checkout at fixed rates instead; print CPU per saga."
        ),
    ] = False,
    rate: Annotated[
        list[float] | None,
        typer.Option(
            "--rate",
            min=1,
            help="With --profile: orders per second (default 5). With --steady: one rate per "
            "step (repeatable; default 20, 50, 100, 150, 200).",
        ),
    ] = None,
    tracing: Annotated[
        bool,
        typer.Option(
            "--tracing",
            help="With --steady: run it with tracing off, at 10% and at 100% sampling (each "
            "twice, interleaved) and print what tracing costs a saga.",
        ),
    ] = False,
    seconds: Annotated[
        float | None,
        typer.Option(
            "--seconds", min=1, help="With --profile or --steady: how long (default 20 / 10)."
        ),
    ] = None,
    replicas: Annotated[
        int,
        typer.Option(
            "--replicas",
            min=1,
            help="Also run the checkout with N processes of each service (PostgreSQL only: "
            "MKSERVICE_TEST_DB=postgres) and compare it with one replica, in the same run.",
        ),
    ] = 1,
    nats_cluster: Annotated[
        int,
        typer.Option(
            "--nats-cluster",
            min=1,
            metavar="NODES",
            help="Also run the checkout on NODES nats-server nodes (streams of NODES replicas) "
            "and compare it with one server, in the same run.",
        ),
    ] = 1,
    against: Annotated[
        str | None,
        typer.Option(
            "--against",
            metavar="REF",
            help="Also run the same parts (or --steady's rates) for the commit REF (a git "
            "worktree with its own venv), interleaved, and print both with their ratio.",
        ),
    ] = None,
) -> None:
    """Measure the floors (bare insert, JetStream), the checkout (sustained sagas/s, saga
    latency at half load, outbox and consumer lag) and the generator, in one run.

    Prints a table with the ratios and the targets, and writes .bench/results.json. The mode is
    SQLite unless MKSERVICE_TEST_DB=postgres. Exits 1 if a part could not be measured.

    With --replicas N or --nats-cluster NODES the checkout also runs on that shape, and the
    table compares it with one replica on one server. Exits 2 (nothing run) for --replicas on
    SQLite.

    With --against REF each part runs here and at REF, one after the other, and the table
    gives both and this / base; written to .bench/against.json. Exits 2 when git knows no REF.
    """
    # Imported here so that `mkservice --help` does not load rich, httpx and the chassis.
    from chassis.testing import selected_db_mode
    from rich.console import Console

    from mkservice_lab.bench.scaleout import Shape, refusal

    repo = workspace_root()
    console = Console()
    rates = rate or []
    shape = Shape(replicas, nats_cluster)
    if against is not None and (profile or tracing):
        raise typer.BadParameter(
            "--against compares the default parts or --steady, not --profile or --tracing",
            param_hint="--against",
        )
    if against is not None and steady:
        from mkservice_lab.bench.against import steady_parts
        from mkservice_lab.bench.steady import DEFAULT_RATES

        _compare(repo, console, against, steady_parts(rates or DEFAULT_RATES, seconds or 10.0))
    if profile and steady:
        raise typer.BadParameter("choose one of --profile and --steady", param_hint="--steady")
    if shape.scaled_out and (profile or steady):
        raise typer.BadParameter(
            "--replicas and --nats-cluster apply to the checkout part of the bench, not to "
            "--profile or --steady",
            param_hint="--replicas",
        )
    refused = refusal(shape, selected_db_mode())
    if refused is not None:
        typer.echo(refused, err=True)
        raise typer.Exit(2)
    if profile:
        from mkservice_lab.bench.profiling import run_profile

        if len(rates) > 1:
            raise typer.BadParameter("--profile runs at one rate", param_hint="--rate")
        profile_rate = rates[0] if rates else 5.0
        raise typer.Exit(run_profile(repo, console, rate=profile_rate, seconds=seconds or 20.0))
    if tracing and not steady:
        raise typer.BadParameter("--tracing goes with --steady", param_hint="--tracing")
    if steady and tracing:
        from mkservice_lab.bench.tracing_cost import run_tracing_cost

        raise typer.Exit(run_tracing_cost(repo, console, rates=rates, seconds=seconds or 10.0))
    if steady:
        from mkservice_lab.bench.steady import run_steady

        raise typer.Exit(run_steady(repo, console, rates=rates, seconds=seconds or 10.0))
    unknown = sorted(set(only or ()) - set(PARTS))
    if unknown:
        raise typer.BadParameter(f"unknown part {', '.join(unknown)}", param_hint="--only")
    parts = tuple(part for part in PARTS if not only or part in only)
    if against is not None:
        if shape.scaled_out:
            raise typer.BadParameter(
                "--against compares the default parts; run --replicas without it",
                param_hint="--against",
            )
        from mkservice_lab.bench.against import default_parts

        _compare(repo, console, against, default_parts(parts, quick=quick))
    from mkservice_lab.bench.runner import run_bench

    raise typer.Exit(run_bench(repo, console, quick=quick, parts=parts, shape=shape))


def _compare(repo: Path, console: Console, ref: str, parts: list[Part]) -> NoReturn:
    from mkservice_lab.bench.against import AgainstRefused, run_against

    try:
        raise typer.Exit(run_against(repo, console, ref=ref, parts=parts))
    except AgainstRefused as unusable:
        typer.echo(str(unusable), err=True)
        raise typer.Exit(2) from None
