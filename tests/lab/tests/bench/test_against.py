"""``mkservice bench --against REF``: the order the two trees run in, the comparison, and the
base's worktree, made in a real git repository with a real ``uv sync``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from mkservice.generator.tools import find_uv
from mkservice.workspace import find_workspace_root
from mkservice_lab.bench.against import (
    AGAINST_DIR,
    AgainstRefused,
    compared,
    default_parts,
    flat_steady,
    interleaved,
    prepare_base,
    resolve,
    steady_parts,
)

ROOT = find_workspace_root(Path(__file__).resolve().parent)


def test_the_sides_take_turns_going_first() -> None:
    order = interleaved(default_parts(["floors", "checkout", "generator"], quick=True))

    assert [(part.name, side) for part, side in order] == [
        ("floors", "this"),
        ("floors", "base"),
        ("checkout", "base"),
        ("checkout", "this"),
        ("generator", "this"),
        ("generator", "base"),
    ]
    assert order[0][0].arguments == ("--only", "floors", "--quick")


def test_steady_rates_are_parts_of_their_own_compared_rate_by_rate() -> None:
    parts = steady_parts([20, 100], 10)
    assert [part.arguments for part in parts] == [
        ("--steady", "--rate", "20", "--seconds", "10"),
        ("--steady", "--rate", "100", "--seconds", "10"),
    ]
    this = flat_steady({"steps": [{"rate": 20.0, "saga_p50_ms": 20.0,
                                   "cpu_ms_per_saga_with_broker": 30.0}]})  # fmt: skip
    base = flat_steady({"steps": [{"rate": 20.0, "saga_p50_ms": 25.0,
                                   "cpu_ms_per_saga_with_broker": 60.0}]})  # fmt: skip

    rows = {row["key"]: row for row in compared(this, base)}

    cpu = rows["steady_20_cpu_ms_per_saga_with_broker"]
    assert (cpu["label"], cpu["ratio"]) == ("20/s: CPU per saga, 3 services and nats-server", 0.5)
    assert rows["steady_20_saga_p50_ms"]["ratio"] == 0.8


def test_each_figure_measured_on_a_side_is_compared_as_this_over_base() -> None:
    rows = compared(
        {"sagas_per_s": 90.0, "saga_p50_ms": 20.0, "new_service_s": 0.5, "quick": True},
        {"sagas_per_s": 60.0, "saga_p50_ms": 25.0, "upgrade_s": 1.0},
    )

    by_key = {row["key"]: row for row in rows}
    assert by_key["sagas_per_s"]["ratio"] == 1.5
    assert by_key["saga_p50_ms"]["ratio"] == 0.8
    # Measured on one side only (a figure the base does not have yet): shown, no ratio.
    assert (by_key["new_service_s"]["base"], by_key["new_service_s"]["ratio"]) == (None, None)
    assert by_key["upgrade_s"]["this"] is None
    assert "quick" not in by_key and "bare_insert_per_s" not in by_key


def _git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.fixture
def two_commits(tmp_path: Path) -> tuple[Path, str]:
    """A uv project with two commits; the first's hash."""
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "pyproject.toml").write_text(
        '[project]\nname = "tiny"\nversion = "0.1.0"\nrequires-python = ">=3.11"\n'
        "dependencies = []\n\n[tool.uv]\npackage = false\n"
    )
    (repo / "marker.txt").write_text("first\n")
    uv = find_uv(ROOT or repo)
    subprocess.run([uv, "lock", "--offline", "--quiet"], cwd=repo, check=True)
    _git(repo, "init", "-q", "-b", "main")
    for key, value in (("user.email", "t@example.invalid"), ("user.name", "t")):
        _git(repo, "config", key, value)
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "first")
    first = _git(repo, "rev-parse", "HEAD")
    (repo / "marker.txt").write_text("second\n")
    _git(repo, "commit", "-q", "-am", "second")
    return repo, first


def test_the_base_runs_from_a_worktree_of_its_commit_with_a_venv_of_its_own(
    two_commits: tuple[Path, str],
) -> None:
    repo, first = two_commits
    uv = find_uv(ROOT or repo)

    base = prepare_base(repo, resolve(repo, "HEAD~1"), uv)

    assert base.root == repo / AGAINST_DIR / first[:12]
    assert (base.root / "marker.txt").read_text() == "first\n"
    assert (repo / "marker.txt").read_text() == "second\n"  # this tree is left alone
    assert (base.root / ".venv" / "bin" / "python").exists()
    # Run again against the same commit: the worktree and its venv are reused.
    (base.root / ".venv" / "kept").write_text("")
    assert prepare_base(repo, first, uv).root == base.root
    assert (base.root / ".venv" / "kept").exists()


def test_a_ref_git_does_not_know_is_refused(two_commits: tuple[Path, str]) -> None:
    repo, _ = two_commits
    with pytest.raises(AgainstRefused, match="git knows no commit 'no-such-ref'"):
        resolve(repo, "no-such-ref")


def test_the_command_refuses_an_unknown_ref_in_one_sentence() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "mkservice", "bench", "--against", "zz-no-such-ref"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert completed.returncode == 2
    assert completed.stderr == "git knows no commit 'zz-no-such-ref' to compare with.\n"
