"""``mkservice bench --against REF``: the same parts for another commit, in the same run,
interleaved, each figure printed for both with their ratio (this / base).

A machine's speed drifts from run to run by more than most changes move a figure (the
figures in docs/benchmarks.md vary by 10 to 30% between runs), so a change is judged against
its base measured minutes apart on the same machine, not against a number from another day.

The base runs from a git worktree of REF under ``.bench/against/<commit>`` with a venv of its
own (``uv sync --all-packages --locked``, from uv's cache), kept for the next run against the
same commit. Each part runs as ``mkservice bench --only PART`` in each tree, one after the
other, the order swapped from part to part (this, base; then base, this) so that neither side
always gets the cooler machine. The comparison is written to ``.bench/against.json``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from mkservice.generator.tools import UV_ENV, find_uv
from mkservice_lab.bench.report import ROWS
from mkservice_lab.bench.results import RESULTS_FILE
from mkservice_lab.bench.steady import STEADY_FILE

AGAINST_DIR = RESULTS_FILE.parent / "against"
# What each steady step is compared by: figure -> (label, unit).
STEADY_FIGURES = {
    "saga_p50_ms": ("saga p50", "ms"),
    "saga_p99_ms": ("saga p99", "ms"),
    "cpu_ms_per_saga_with_broker": ("CPU per saga, 3 services and nats-server", "ms"),
    "machine_busy": ("cores busy", ""),
}
AGAINST_FILE = RESULTS_FILE.parent / "against.json"


class AgainstRefused(ValueError):
    """REF names no commit, or the base cannot be set up; the message is one sentence."""


@dataclass(frozen=True)
class Side:
    """One tree the bench runs in: this working tree, or the base commit's worktree."""

    name: str
    root: Path
    mkservice: Path


def _git(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=False
    )


def resolve(repo: Path, ref: str) -> str:
    """The commit ``ref`` names; :class:`AgainstRefused` when git knows none."""
    found = _git(repo, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    if found.returncode != 0:
        raise AgainstRefused(f"git knows no commit {ref!r} to compare with.")
    return found.stdout.strip()


def prepare_base(repo: Path, commit: str, uv: str) -> Side:
    """The worktree of ``commit`` with its own venv, made or reused."""
    tree = repo / AGAINST_DIR / commit[:12]
    if not (tree / ".git").exists():
        _git(repo, "worktree", "prune")
        shutil.rmtree(tree, ignore_errors=True)
        tree.parent.mkdir(parents=True, exist_ok=True)
        added = _git(repo, "worktree", "add", "--detach", "--force", str(tree), commit)
        if added.returncode != 0:
            detail = added.stderr.strip().splitlines()[-1:] or ["no output"]
            raise AgainstRefused(f"git cannot check out {commit[:12]} ({detail[0]}).")
    synced = subprocess.run(
        [uv, "sync", "--all-packages", "--locked", "--python", sys.executable, "--quiet"],
        cwd=tree,
        capture_output=True,
        text=True,
        check=False,
    )
    if synced.returncode != 0:
        detail = (synced.stderr or synced.stdout).strip().splitlines()[-1:] or ["no output"]
        raise AgainstRefused(f"the base {commit[:12]} cannot be installed ({detail[0]}).")
    return Side("base", tree, tree / ".venv" / "bin" / "mkservice")


@dataclass(frozen=True)
class Part:
    """One unit of the comparison: the bench's arguments for it, and the file it writes."""

    name: str
    arguments: tuple[str, ...]
    results: Path


def default_parts(parts: Sequence[str], *, quick: bool) -> list[Part]:
    """The bench's own parts (floors, checkout, generator), each on its own."""
    extra = ("--quick",) if quick else ()
    return [Part(part, ("--only", part, *extra), RESULTS_FILE) for part in parts]


def steady_parts(rates: Sequence[float], seconds: float) -> list[Part]:
    """``--steady``, one rate a part: its figures come back as ``steady_<rate>_<figure>``."""
    return [
        Part(f"steady {rate:g}/s", ("--steady", "--rate", f"{rate:g}", "--seconds", f"{seconds:g}"),
             STEADY_FILE)
        for rate in rates
    ]  # fmt: skip


def run_part(side: Side, part: Part, *, uv: str) -> dict[str, Any]:
    """``mkservice bench ARGS`` in ``side``'s tree; the figures its file holds (a part that
    failed there leaves its gaps in it)."""
    results = side.root / part.results
    results.unlink(missing_ok=True)
    command = [str(side.mkservice), "bench", *part.arguments]
    subprocess.run(command, cwd=side.root, env={**os.environ, UV_ENV: uv}, check=False)
    if not results.is_file():
        return {
            "gaps": {part.name: f"`mkservice bench {' '.join(part.arguments)}` wrote no results"}
        }
    loaded = json.loads(results.read_text(encoding="utf-8"))
    if not isinstance(loaded, dict):
        return {}
    return flat_steady(loaded) if part.results == STEADY_FILE else loaded


def flat_steady(results: Mapping[str, Any]) -> dict[str, Any]:
    """``.bench/steady.json``'s steps as ``steady_<rate>_<figure>`` figures."""
    flat: dict[str, Any] = {}
    for step in results.get("steps") or []:
        for figure in STEADY_FIGURES:
            flat[f"steady_{step['rate']:g}_{figure}"] = step.get(figure)
    return flat


def interleaved(parts: Sequence[Part]) -> list[tuple[Part, str]]:
    """(part, side) in the order they run: this then base, base then this, and so on."""
    order = []
    for index, part in enumerate(parts):
        sides = ("this", "base") if index % 2 == 0 else ("base", "this")
        order += [(part, side) for side in sides]
    return order


def _rows(this: Mapping[str, Any], base: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """(key, label, unit) of every figure to compare: the bench table's, then the steady
    steps' in the order they ran."""
    rows = [(key, label, unit) for key, label, unit in ROWS if label is not None]
    steady = [key for key in dict.fromkeys([*this, *base]) if key.startswith("steady_")]
    for key in steady:
        rate, figure = key.removeprefix("steady_").split("_", 1)
        label, unit = STEADY_FIGURES[figure]
        rows.append((key, f"{rate}/s: {label}", unit))
    return rows


def compared(this: Mapping[str, Any], base: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every figure measured on either side, with this / base where both measured it."""
    rows = []
    for key, label, unit in _rows(this, base):
        mine, theirs = this.get(key), base.get(key)
        if not _number(mine) and not _number(theirs):
            continue
        ratio = round(mine / theirs, 3) if _number(mine) and _number(theirs) and theirs else None
        rows.append(
            {"key": key, "label": label, "unit": unit, "this": mine, "base": theirs, "ratio": ratio}
        )
    return rows


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def run_against(repo: Path, console: Console, *, ref: str, parts: Sequence[Part]) -> int:
    """Run ``parts`` here and at ``ref``, interleaved; print and write the comparison. 0 when
    every part ran on both sides, 1 when one left a gap."""
    uv = find_uv(repo)
    commit = resolve(repo, ref)
    console.rule(f"the base: {ref} ({commit[:12]})")
    sides = {
        "this": Side("this", repo, Path(sys.executable).parent / "mkservice"),
        "base": prepare_base(repo, commit, uv),
    }
    figures: dict[str, dict[str, Any]] = {"this": {}, "base": {}}
    gaps: dict[str, dict[str, str]] = {"this": {}, "base": {}}
    for part, name in interleaved(parts):
        console.rule(f"{part.name}: {name}")
        results = run_part(sides[name], part, uv=uv)
        figures[name].update({k: v for k, v in results.items() if _number(v)})
        gaps[name].update(results.get("gaps") or {})
    rows = compared(figures["this"], figures["base"])
    console.print(_table(rows, ref, commit))
    for name, found in gaps.items():
        for where, why in found.items():
            console.print(f"[yellow]gap ({name}): {where}: {why}[/]", highlight=False)
    report = {"ref": ref, "commit": commit, "parts": [part.name for part in parts],
              "figures": rows, "gaps": gaps}  # fmt: skip
    path = repo / AGAINST_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    console.print(f"Written to {path}")
    return 1 if any(gaps.values()) else 0


def _table(rows: list[dict[str, Any]], ref: str, commit: str) -> Table:
    table = Table(title=f"this tree against {ref} ({commit[:12]})", title_justify="left")
    for column in ("figure", "this", "base", "this / base", "unit"):
        table.add_column(column, justify="left" if column in ("figure", "unit") else "right")
    for row in rows:
        table.add_row(
            row["label"],
            _shown(row["this"]),
            _shown(row["base"]),
            _shown(row["ratio"]),
            row["unit"],
        )
    return table


def _shown(value: Any) -> str:
    if not _number(value):
        return "-"
    return f"{value:,.3f}" if abs(value) < 10 else f"{value:,.1f}"
