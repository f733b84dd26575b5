"""``mkservice test``: every suite of the workspace, each in its own pytest process."""

from __future__ import annotations

from typing import Annotated

import typer

from mkservice.workspace import workspace_root


def register(app: typer.Typer) -> None:
    app.command(
        "test",
        context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
    )(test)


def test(
    context: typer.Context,
    postgres: Annotated[
        bool, typer.Option("--postgres", help="Run in Postgres mode (MKSERVICE_TEST_DB=postgres).")
    ] = False,
    suite: Annotated[
        list[str] | None, typer.Option("--suite", help="Only suites whose name contains this.")
    ] = None,
    jobs: Annotated[int, typer.Option("--jobs", "-j", min=1, help="Suites run at once.")] = 2,
) -> None:
    """Run the tests of the chassis, the generator, each service and the cross-service tests.

    Extra arguments go to pytest (e.g. ``mkservice test -- -k outbox``). A suite that runs no
    test counts as a failure.
    """
    from mkservice.testrun import NOTE_PREFIX, SuiteResult, discover_suites, run_all

    repo = workspace_root()
    suites = discover_suites(repo)
    if suite:
        suites = [s for s in suites if any(part in s.name for part in suite)]
    if not suites:
        typer.echo("No test suite matches; nothing was run.", err=True)
        raise typer.Exit(2)

    def report(result: SuiteResult) -> None:
        mark = "ok  " if result.ok else "FAIL"
        counts = ", ".join(f"{n} {k}" for k, n in sorted(result.counts.items())) or "no tests ran"
        if not result.ok:
            typer.echo(result.output)
        typer.echo(f"[{mark}] {result.suite.name}: {counts} ({result.seconds:.1f}s)", err=False)
        for note in result.notes:
            typer.echo(f"       {note.removeprefix(NOTE_PREFIX)}")

    mode = "postgres" if postgres else "sqlite"
    typer.echo(f"Running {len(suites)} suites ({mode} mode, {jobs} at a time)...")
    results = run_all(repo, suites, pytest_args=list(context.args), jobs=jobs,
                      postgres=postgres, report=report)  # fmt: skip
    passed = sum(r.counts.get("passed", 0) for r in results)
    failed = sum(r.counts.get("failed", 0) + r.counts.get("errors", 0) for r in results)
    skipped = sum(r.counts.get("skipped", 0) for r in results)
    broken = [r.suite.name for r in results if not r.ok]
    if broken:
        typer.echo(f"Failing suites: {', '.join(broken)}")
        failed = max(failed, len(broken))
    typer.echo(f"total: {passed} passed, {failed} failed, {skipped} skipped")
    raise typer.Exit(1 if broken else 0)
