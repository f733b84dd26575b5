"""``mkservice bench``: the floors, the checkout and the generator, measured in one run.

Everything lives in ``<repo>/.bench``: ``results.json``, the stack's run folder (``stack/``:
logs, SQLite files) and the floors' databases (``floors/``). A part that fails leaves a gap
(``None`` and a reason under ``gaps``) instead of stopping the others.
"""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console

from mkservice_lab.bench.checkout import CheckoutSettings
from mkservice_lab.bench.figures import checkout_figures, floor_figures
from mkservice_lab.bench.floors import FloorSettings
from mkservice_lab.bench.jetstream import JetStreamSettings
from mkservice_lab.bench.report import results_table
from mkservice_lab.bench.results import RESULTS_FILE, derive, write_results
from mkservice_lab.bench.scaleout import Shape, ratios, scaled_out_figures

UrlFor = Callable[[str], str]


@dataclass(frozen=True)
class Plan:
    """How long and how hard each part runs."""

    bare: FloorSettings
    bare_concurrencies: tuple[int, ...]
    jetstream: JetStreamSettings
    drain_rows: int
    checkout: CheckoutSettings
    generator_runs: int


FULL = Plan(
    bare=FloorSettings(duration_s=5, warmup_s=1),
    bare_concurrencies=(1, 8, 32),
    jetstream=JetStreamSettings(),
    drain_rows=5_000,
    checkout=CheckoutSettings(),
    generator_runs=3,
)
QUICK = Plan(
    bare=FloorSettings(duration_s=2, warmup_s=0.5),
    bare_concurrencies=(8,),
    jetstream=JetStreamSettings(serial_messages=300, concurrent_messages=3_000),
    drain_rows=1_000,
    checkout=CheckoutSettings(
        start_rate=5, min_rate=2, factor=2, max_steps=3, step_s=2, half_s=3, warmup_s=1
    ),
    generator_runs=1,
)


@dataclass
class Run:
    """One bench run: where it writes, and what it found so far."""

    repo: Path
    console: Console
    plan: Plan
    mode: str
    figures: dict[str, Any] = field(default_factory=dict)
    gaps: dict[str, str] = field(default_factory=dict)

    @property
    def out(self) -> Path:
        return self.repo / RESULTS_FILE.parent

    def say(self, text: str) -> None:
        self.console.print(f"[dim]{text}[/]", highlight=False)

    def part(self, name: str, measure: Callable[[], dict[str, Any]]) -> None:
        """Run one part; on failure record a gap and go on."""
        self.console.rule(name)
        try:
            self.figures.update(measure())
        except Exception as error:  # a broken part must not hide the others' figures
            self.gaps[name] = f"{type(error).__name__}: {error}"
            self.console.print(f"[bold red]{name} failed:[/] {error}", highlight=False)


@contextmanager
def databases(mode: str, folder: Path) -> Iterator[UrlFor | None]:
    """A fresh database URL per name: SQLite files in ``folder``, or throwaway PostgreSQL
    databases (``MKSERVICE_TEST_DB=postgres``), dropped afterwards. Yields ``None`` for SQLite
    so the stack keeps its own files."""
    if mode != "postgres":
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        yield None
        return
    from chassis.testing import PostgresSandbox

    sandbox = PostgresSandbox()
    try:
        yield sandbox.database_url
    finally:
        sandbox.close()


def run_bench(
    repo: Path, console: Console, *, quick: bool, parts: tuple[str, ...], shape: Shape | None = None
) -> int:
    """Measure, print the table, write ``.bench/results.json``; 0 unless a part failed.

    With a scaled-out ``shape`` the checkout runs twice, on one replica and one nats-server and
    then on that shape, and the results compare them (see :mod:`mkservice_lab.bench.scaleout`).
    """
    from chassis.testing import selected_db_mode

    run = Run(repo, console, QUICK if quick else FULL, selected_db_mode())
    # The chassis warns when a broker connection closes; the bench closes its own on purpose.
    logging.getLogger("chassis").setLevel(logging.ERROR)
    load_before = round(os.getloadavg()[0], 2)
    floors_dir = run.out / "floors"
    with databases(run.mode, floors_dir) as url_for:

        def local(name: str) -> str:
            return url_for(name) if url_for else f"sqlite+aiosqlite:///{floors_dir / name}.db"

        if "floors" in parts:
            run.part("floors", lambda: floor_figures(run, local))
        if "checkout" in parts:
            run.part("checkout", lambda: checkout_figures(run, url_for))
            if shape is not None and shape.scaled_out:
                scaled = shape  # a name the closure below keeps narrowed

                def scaled_out() -> dict[str, Any]:
                    figures = checkout_figures(run, url_for, scaled)
                    return {"scaled_out": scaled_out_figures(scaled, figures)}

                run.part(f"checkout, {shape.describe()}", scaled_out)
                if "scaled_out" in run.figures:
                    run.figures["scaled_out_ratio"] = ratios(run.figures, run.figures["scaled_out"])
    if "generator" in parts:
        run.part("generator", lambda: _generator(run))
    run.figures["load_average"] = {"before": load_before, "after": round(os.getloadavg()[0], 2)}
    run.figures["quick"] = quick
    run.figures["parts"] = list(parts)
    run.figures["gaps"] = run.gaps
    results = derive(run.figures, mode=run.mode, cores=os.cpu_count())
    path = write_results(results, run.out / RESULTS_FILE.name)
    console.print(results_table(results))
    console.print(f"Written to {path}")
    return 1 if run.gaps else 0


def _generator(run: Run) -> dict[str, Any]:
    from mkservice_lab.bench.newservice import time_new_service
    from mkservice_lab.bench.upgrade_timing import time_upgrade

    timing = time_new_service(run.repo, run.plan.generator_runs)
    if timing.gap is not None:
        run.gaps["generator"] = timing.gap
        run.console.print(f"[bold yellow]generator: gap:[/] {timing.gap}", highlight=False)
    else:
        runs = ", ".join(f"{s:.2f} s" for s in timing.seconds)
        run.say(f"mkservice new: cold {timing.cold_s:.2f} s, then {runs}")
    bare = time_new_service(run.repo, run.plan.generator_runs, install=False)
    if bare.gap is not None:
        run.gaps["generator --no-install"] = bare.gap
        run.console.print(f"[bold yellow]--no-install: gap:[/] {bare.gap}", highlight=False)
    else:
        runs = ", ".join(f"{s:.2f} s" for s in bare.seconds)
        run.say(f"mkservice new --no-install: cold {bare.cold_s:.2f} s, then {runs}")
    upgrade = time_upgrade(run.repo, run.plan.generator_runs)
    if upgrade.gap is not None:
        run.gaps["upgrade"] = upgrade.gap
        run.console.print(f"[bold yellow]upgrade: gap:[/] {upgrade.gap}", highlight=False)
    else:
        runs = ", ".join(f"{s:.2f} s" for s in upgrade.seconds)
        run.say(f"mkservice upgrade: cold {upgrade.cold_s:.2f} s, then {runs}")
    return {
        "new_service_s": None if timing.median_s is None else round(timing.median_s, 3),
        "new_service_runs_s": [round(s, 3) for s in timing.seconds],
        "new_service_cold_s": None if timing.cold_s is None else round(timing.cold_s, 3),
        "new_service_no_install_s": None if bare.median_s is None else round(bare.median_s, 3),
        "new_service_no_install_runs_s": [round(s, 3) for s in bare.seconds],
        "upgrade_s": None if upgrade.median_s is None else round(upgrade.median_s, 3),
        "upgrade_runs_s": [round(s, 3) for s in upgrade.seconds],
    }
