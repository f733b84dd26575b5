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

AGAINST_DIR = RESULTS_FILE.parent / "against"
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


def run_part(side: Side, part: str, *, quick: bool, uv: str) -> dict[str, Any]:
    """``mkservice bench --only PART`` in ``side``'s tree; its results file (a part that
    failed there leaves its gaps in it)."""
    command = [str(side.mkservice), "bench", "--only", part, *(["--quick"] if quick else [])]
    results = side.root / RESULTS_FILE
    results.unlink(missing_ok=True)
    subprocess.run(command, cwd=side.root, env={**os.environ, UV_ENV: uv}, check=False)
    if not results.is_file():
        return {"gaps": {part: f"`mkservice bench --only {part}` wrote no results"}}
    loaded = json.loads(results.read_text(encoding="utf-8"))
    return loaded if isinstance(loaded, dict) else {}


def interleaved(parts: Sequence[str]) -> list[tuple[str, str]]:
    """(part, side) in the order they run: this then base, base then this, and so on."""
    order = []
    for index, part in enumerate(parts):
        sides = ("this", "base") if index % 2 == 0 else ("base", "this")
        order += [(part, side) for side in sides]
    return order


def compared(this: Mapping[str, Any], base: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every figure of the bench's table measured on both sides, with this / base."""
    rows = []
    for key, label, unit in ROWS:
        if label is None:
            continue
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


def run_against(
    repo: Path, console: Console, *, ref: str, parts: Sequence[str], quick: bool
) -> int:
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
        console.rule(f"{part}: {name}")
        results = run_part(sides[name], part, quick=quick, uv=uv)
        figures[name].update({k: v for k, v in results.items() if _number(v)})
        gaps[name].update(results.get("gaps") or {})
    rows = compared(figures["this"], figures["base"])
    console.print(_table(rows, ref, commit))
    for name, found in gaps.items():
        for part, why in found.items():
            console.print(f"[yellow]gap ({name}): {part}: {why}[/]", highlight=False)
    report = {"ref": ref, "commit": commit, "parts": list(parts), "quick": quick,
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
