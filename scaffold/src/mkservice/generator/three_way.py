"""A three-way merge of folders: the template as a service was made from it (the base), the
template now (theirs) and the service as it is (ours), file by file (ADR 0028).

Each file's text is merged by ``git merge-file``, git's own merge of one file: clean hunks
apply, conflicting ones get the standard ``<<<<<<<``/``=======``/``>>>>>>>`` markers that every
editor and ``mkservice check`` know. Around it, the rules for whole files:

- a file the template added is added (merged with an empty base when the service has one);
- a file the template removed is removed, unless the service changed it (then it stays, noted);
- a file the service deleted stays deleted, noted when the template changed it;
- a file the template renamed follows: the service's copy, merged, moves to the new path.
"""

from __future__ import annotations

import difflib
import subprocess
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

# A removed and an added file at least this alike are one file renamed (git's default, 50%).
RENAME_SIMILARITY = 0.5
_SKIPPED_PARTS = frozenset({"__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache"})


@dataclass(frozen=True)
class Change:
    """What the merge does to one path of the service (relative to its folder)."""

    path: str
    kind: str  # "updated", "added", "removed", "renamed" or "conflict"
    content: bytes | None  # the new bytes; None for a removal
    renamed_from: str | None = None
    conflicts: int = 0  # conflicting hunks left marked in ``content``


@dataclass
class TreeMerge:
    """Every change to the service, and what it should be told about the files left alone."""

    changes: list[Change] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def conflicted(self) -> list[Change]:
        return [change for change in self.changes if change.conflicts]


@dataclass(frozen=True)
class Labels:
    """The names the conflict markers give the three sides."""

    ours: str
    base: str
    theirs: str


def files_of(folder: Path, left_out: Iterable[str] = ()) -> dict[str, bytes]:
    """Every file under ``folder`` by its relative POSIX path, but ``left_out`` and caches."""
    skipped = set(left_out)
    found = {}
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder).as_posix()
        if path.is_file() and relative not in skipped and not _SKIPPED_PARTS & set(path.parts):
            found[relative] = path.read_bytes()
    return found


def merge_trees(
    base: dict[str, bytes], theirs: dict[str, bytes], ours: Path, labels: Labels
) -> TreeMerge:
    """How to bring the change ``base`` -> ``theirs`` into the folder ``ours``."""
    merge = TreeMerge()
    renames = _renames(
        {p: base[p] for p in base.keys() - theirs.keys()},
        {p: theirs[p] for p in theirs.keys() - base.keys()},
    )
    targets = set(renames.values())
    for path in sorted(base.keys() | theirs.keys()):
        mine = _read(ours / path)
        if path in renames:
            _renamed(merge, path, renames[path], base[path], theirs[renames[path]], ours, labels)
        elif path in targets:
            continue  # handled with the path it was renamed from
        elif path in base and path in theirs:
            _changed(merge, path, base[path], theirs[path], mine, labels)
        elif path in theirs:
            _added(merge, path, theirs[path], mine, labels)
        elif mine is not None:
            if mine == base[path]:
                merge.changes.append(Change(path, "removed", None))
            else:
                merge.notes.append(f"{path}: the template removed it; yours has changes: kept")
    return merge


def _changed(
    merge: TreeMerge,
    path: str,
    base: bytes,
    theirs: bytes,
    mine: bytes | None,
    labels: Labels,
) -> None:
    if base == theirs or mine == theirs:
        return
    if mine is None:
        merge.notes.append(f"{path}: you deleted it and the template changed it: still deleted")
        return
    merge.changes.append(_merged(path, mine, base, theirs, labels, "updated"))


def _added(merge: TreeMerge, path: str, theirs: bytes, mine: bytes | None, labels: Labels) -> None:
    if mine == theirs:
        return
    if mine is None:
        merge.changes.append(Change(path, "added", theirs))
        return
    # The service made a file of that name itself: both sides are kept to choose from.
    merge.changes.append(_merged(path, mine, b"", theirs, labels, "updated"))


def _renamed(
    merge: TreeMerge,
    old: str,
    new: str,
    base: bytes,
    theirs: bytes,
    ours: Path,
    labels: Labels,
) -> None:
    mine = _read(ours / old)
    if mine is None:
        if base != theirs:
            merge.notes.append(
                f"{old}: you deleted it and the template changed it (now {new}): still deleted"
            )
        return
    if (ours / new).exists():
        merge.notes.append(f"{old}: the template renamed it {new}, which you have already: kept")
        return
    moved = _merged(new, mine, base, theirs, labels, "renamed")
    merge.changes.append(Change(new, moved.kind, moved.content, old, moved.conflicts))
    merge.changes.append(Change(old, "removed", None))


def _merged(
    path: str, mine: bytes, base: bytes, theirs: bytes, labels: Labels, kind: str
) -> Change:
    if mine == base:
        return Change(path, kind, theirs)
    if b"\0" in mine + base + theirs:
        # Not text: nothing to merge line by line; the service keeps its own, marked.
        return Change(path, "conflict", mine, conflicts=1)
    with tempfile.TemporaryDirectory(prefix="mkservice-merge-") as folder:
        sides = []
        for name, content in (("ours", mine), ("base", base), ("theirs", theirs)):
            side = Path(folder) / name
            side.write_bytes(content)
            sides.append(str(side))
        completed = subprocess.run(
            ["git", "merge-file", "--stdout", "-L", f"{labels.ours} {path}", "-L",
             labels.base, "-L", labels.theirs, *sides],
            capture_output=True,
            check=False,
        )  # fmt: skip
    if not 0 <= completed.returncode < 128:
        detail = completed.stderr.decode(errors="replace").strip()
        raise OSError(f"git merge-file failed on {path}: {detail}")
    conflicts = completed.returncode
    return Change(path, "conflict" if conflicts else kind, completed.stdout, conflicts=conflicts)


def _renames(removed: dict[str, bytes], added: dict[str, bytes]) -> dict[str, str]:
    """Removed path -> added path, for each pair alike enough, the most alike first."""
    scored = sorted(
        (
            (_similarity(old_text, new_text), old, new)
            for old, old_text in removed.items()
            for new, new_text in added.items()
        ),
        reverse=True,
    )
    pairs: dict[str, str] = {}
    for score, old, new in scored:
        if score >= RENAME_SIMILARITY and old not in pairs and new not in pairs.values():
            pairs[old] = new
    return pairs


def _similarity(left: bytes, right: bytes) -> float:
    if left == right:
        return 1.0
    matcher = difflib.SequenceMatcher(None, left.splitlines(), right.splitlines(), autojunk=False)
    return matcher.ratio()


def _read(path: Path) -> bytes | None:
    return path.read_bytes() if path.is_file() else None
