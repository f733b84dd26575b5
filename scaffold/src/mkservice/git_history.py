"""What mkservice reads from a workspace's git history: the commit a change is judged against.

``mkservice check`` compares the contracts with it (check 6) and ``mkservice upgrade --check``
the template. Outside git, or before the first commit, there is none and both comparisons are
left out.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

MAIN_BRANCHES = ("main", "origin/main", "master", "origin/master")


def git(repo: Path, *args: str) -> str:
    """``git -C repo ARGS``'s output, stripped; empty when git fails or is not installed."""
    try:
        completed = subprocess.run(
            ["git", "-C", str(repo), *args], capture_output=True, text=True, check=False
        )
    except OSError:
        return ""
    return completed.stdout.strip() if completed.returncode == 0 else ""


def base_ref(repo: Path, against: str | None) -> str | None:
    """The commit a change is compared with: ``against``, the merge base with the main
    branch, or ``HEAD``; ``None`` when ``against`` is unknown, outside git, or before the
    first commit."""
    if against is not None:
        return git(repo, "rev-parse", "--verify", f"{against}^{{commit}}") or None
    for branch in MAIN_BRANCHES:
        if git(repo, "rev-parse", "--verify", "--quiet", f"{branch}^{{commit}}"):
            base = git(repo, "merge-base", "HEAD", branch)
            if base:
                return base
    return git(repo, "rev-parse", "--verify", "--quiet", "HEAD^{commit}") or None
