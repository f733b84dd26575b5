"""The report of a run: a few readable lines, then the one-line verdict, and the same as JSON.

The LAST line printed is always the verdict, e.g.
``sagas=10000 faults=214 lost=0 stuck=0 duplicate_effects=0 oversold=0 invariant_violations=0``,
and on a cluster (``--cluster``) the same with ``accepted_during_faults=99.97`` at its end.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

FIELDS = ("sagas", "faults", "lost", "stuck", "duplicate_effects", "oversold",
          "invariant_violations")  # fmt: skip


def verdict_line(figures: dict[str, int | float]) -> str:
    """The verdict; a run on a cluster adds ``accepted_during_faults=<percent>``."""
    line = " ".join(f"{name}={figures.get(name, 0)}" for name in FIELDS)
    if "accepted_during_faults" in figures:
        line += f" accepted_during_faults={figures['accepted_during_faults']:.2f}"
    return line


def passed(figures: dict[str, int | float]) -> bool:
    return all(figures.get(name, 0) == 0 for name in FIELDS[2:])


def write_report(path: Path, report: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2, sort_keys=False, default=str) + "\n")


def print_report(report: dict[str, Any], echo: Callable[[str], None] = print) -> None:
    """A short human summary; the verdict line comes last."""
    run = report["run"]
    echo(
        f"chaos run: seed {run['seed']}, {run['db_mode']}, {run['duration_s']:.0f}s, "
        f"{run['sagas_planned']} sagas planned, {run['fault_episodes_planned']} faults planned"
        + (
            f", {run['nats_nodes']} NATS nodes, {run['replicas']} replicas of each service"
            if run.get("nats_nodes", 1) > 1 or run.get("replicas", 1) > 1
            else ""
        )
    )
    echo("faults injected: " + ", ".join(f"{k}={v}" for k, v in report["faults"].items()))
    reached = report.get("crash_points_reached", {})
    echo("crash points reached: " + ", ".join(f"{k} {v}" for k, v in reached.items()))
    if report.get("restarts_retried"):
        echo(f"restarts that needed a second try: {report['restarts_retried']}")
    echo("orders: " + ", ".join(f"{k}={v}" for k, v in report["outcomes"].items()))
    load = report["load"]
    echo(
        f"load: {load['accepted']} accepted, {load['retries']} retried requests, "
        f"{load['duplicates_republished']} messages re-published "
        f"({load['fresh_envelope_ids']} with a fresh envelope id)"
    )
    settle = report["settle"]
    terminal = settle["all_terminal_after_last_fault_s"]
    terminal_text = "never" if terminal is None else f"{terminal:.1f}s"
    echo(f"settle: every order terminal {terminal_text} after the last fault")
    for kind, found in report["invariants"].items():
        echo(f"VIOLATION {kind}: {found['count']} (e.g. {found['examples'][:3]})")
    for problem in report.get("problems", []):
        echo(f"PROBLEM: {problem}")
    echo(verdict_line(report["summary"]))
