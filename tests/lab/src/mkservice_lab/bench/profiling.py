"""``mkservice bench --profile``: the checkout's services under cProfile at a steady load.

Neither py-spy nor pyinstrument is in the workspace, so the services run under the standard
library's deterministic profiler: the stack starts each one through a small wrapper script
that runs ``python -m mkservice_lab.bench.profiled <dir> -m <package> serve --migrate``, which
starts profiling once the service is warm (SIGUSR1) and writes ``<dir>/<package>.prof`` when
the stack stops the service. cProfile sees the event loop's thread only (SQLite calls run in
aiosqlite's worker thread and show up as time the loop waits), and slows Python code down, so
read the shares, not the absolute times.
"""

from __future__ import annotations

import asyncio
import io
import os
import pstats
import shutil
import stat
import sys
from pathlib import Path

from rich.console import Console
from rich.table import Table

from mkservice_lab.bench.checkout import describe, run_step
from mkservice_lab.bench.dbstats import reader
from mkservice_lab.bench.profiled import START_SIGNAL
from mkservice_lab.bench.profsummary import by_package
from mkservice_lab.bench.ramp import judge
from mkservice_lab.bench.rig import Rig, checkout_rig, seed

PROFILE_DIR = Path(".bench") / "profile"


def _wrapper(folder: Path) -> Path:
    """A stand-in for ``python`` that profiles ``python -m <package> ...`` into ``folder``."""
    script = folder / "python-profiled"
    script.write_text(
        "#!/bin/sh\n"
        "# Called as: python-profiled -m <package> <args>\n"
        f'exec "{sys.executable}" -m mkservice_lab.bench.profiled "{folder}" "$@"\n',
        encoding="utf-8",
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


async def _load(rig: Rig, rate: float, seconds: float) -> str:
    orders_db = reader(rig.database_urls["orders"])
    try:
        await run_step(rig, orders_db, min(rate, 5), 2, "profile-warmup", 60)
        for process in rig.supervisor.services.values():
            if process.pid is not None:
                os.kill(process.pid, START_SIGNAL)
        # Every saga finishes before the stack stops, so the services stop quickly.
        step = await run_step(rig, orders_db, rate, seconds, "profile", 300)
    finally:
        await orders_db.dispose()
    return describe(step, judge(step, 500))


def top_functions(profile: Path, sort: str, limit: int) -> str:
    """The ``limit`` heaviest functions of a profile, by ``sort`` (``tottime``, ``cumulative``)."""
    out = io.StringIO()
    stats = pstats.Stats(str(profile), stream=out)
    stats.strip_dirs().sort_stats(sort).print_stats(limit)
    return out.getvalue()


def _package_table(profile: Path) -> Table:
    busy, idle, shares = by_package(profile)
    table = Table(
        title=f"{profile.stem}: {busy:.1f} s busy, {idle:.1f} s idle (own time by package)",
        title_justify="left",
    )
    table.add_column("package")
    table.add_column("seconds", justify="right")
    table.add_column("share of busy", justify="right")
    for share in shares:
        table.add_row(share.package, f"{share.seconds:.2f}", f"{share.share:.0%}")
    return table


def run_profile(repo: Path, console: Console, *, rate: float, seconds: float) -> int:
    """Profile the three services under ``rate`` orders per second for ``seconds``."""
    folder = (repo / PROFILE_DIR).resolve()
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    python = _wrapper(folder)
    console.print(f"Profiling the checkout at {rate}/s for {seconds:.0f} s (cProfile)...")
    with checkout_rig(repo, folder / "stack", python=str(python), stop_grace=60) as rig:
        asyncio.run(seed(rig))
        summary = asyncio.run(_load(rig, rate, seconds))
    console.print(summary, highlight=False)
    for profile in sorted(folder.glob("*.prof")):
        report = folder / f"{profile.stem}.txt"
        text = top_functions(profile, "tottime", 40) + top_functions(profile, "cumulative", 60)
        report.write_text(text, encoding="utf-8")
        console.print(_package_table(profile))
        console.print(f"[dim]{profile} (top functions in {report})[/]")
    if not any(folder.glob("*.prof")):
        console.print("[bold red]No profile was written[/] (did a service fail to stop?)")
        return 1
    return 0
