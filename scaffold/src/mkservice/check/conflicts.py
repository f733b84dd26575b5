"""Check 7, ``merge-conflicts``: does any file of a service still hold git conflict markers?

``mkservice upgrade`` three-way merges template changes into a service and, like ``git merge``,
leaves the standard markers where its hunks and the service's own edits conflict. Git commits
such a file without complaint, and in YAML, Markdown or a Dockerfile it may even still parse, so
this check is what keeps the service from passing CI until a person has resolved it.

A conflict is a line starting ``<<<<<<< ``, later a ``=======`` line and then a line starting
``>>>>>>> `` (diff3's ``||||||| `` base section may come between the first two). A lone
``=======``, such as a reStructuredText or Markdown heading underline, is not one. Every file
under each service's folder is read as bytes, except binary files (a NUL byte in the first 8 KiB,
much as git tells them), files over 2 MB, and caches and environments.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from pathlib import Path

from mkservice.check.discovery import Service
from mkservice.check.pysource import relative
from mkservice.check.results import CheckResult, Finding, sorted_findings

CHECK_ID = "merge-conflicts"
DETAIL = (
    "an unresolved merge conflict (from `mkservice upgrade` or a git merge): "
    "resolve it and remove the markers"
)
MAX_BYTES = 2 * 1024 * 1024
BINARY_PROBE = 8 * 1024
SKIPPED_DIRS = frozenset(
    {".venv", "__pycache__", ".git", "node_modules", ".pytest_cache", ".mypy_cache", ".ruff_cache"}
)

# diff3's ``|||||||`` base section needs no rule of its own: it lies between the opening and the
# separator, where any line may be.
_OURS, _SEPARATOR, _THEIRS = b"<" * 7, b"=" * 7, b">" * 7


def check_merge_conflicts(repo: Path, services: Sequence[Service]) -> CheckResult:
    """One finding per conflict, at the line of its ``<<<<<<<`` marker."""
    findings = [
        Finding(relative(repo, path), line, (service.name,), DETAIL)
        for service in services
        for path in _text_files(service.root)
        for line in conflict_lines(path)
    ]
    return CheckResult(
        id=CHECK_ID,
        name="Merge conflicts",
        symptom="unresolved merge conflicts",
        findings=sorted_findings(findings),
    )


def conflict_lines(path: Path) -> list[int]:
    """The 1-based line of each complete conflict's ``<<<<<<<`` marker in ``path``; none for a
    binary or unreadable file."""
    try:
        with open(path, "rb") as file:
            if os.fstat(file.fileno()).st_size > MAX_BYTES:
                return []
            data = file.read(MAX_BYTES)
    except OSError:
        return []
    if b"\0" in data[:BINARY_PROBE] or _OURS not in data:
        return []  # the last test keeps the line-by-line reading to the few files that need it
    return list(_conflicts(data.split(b"\n")))


def _conflicts(lines: list[bytes]) -> Iterator[int]:
    start, seen_separator = 0, False
    for number, line in enumerate(lines, start=1):
        if _is_marker(line, _OURS):
            # A second opening before the first closed: the first was never a whole conflict.
            start, seen_separator = number, False
        elif not start:
            continue
        elif line.rstrip() == _SEPARATOR:
            seen_separator = True
        elif _is_marker(line, _THEIRS) and seen_separator:
            yield start
            start, seen_separator = 0, False


def _is_marker(line: bytes, marker: bytes) -> bool:
    # Exactly seven characters, then the label (git writes one) or nothing.
    return line.startswith(marker) and line[7:8] in (b" ", b"", b"\r", b"\t")


def _text_files(root: Path) -> Iterator[Path]:
    """Every regular file under ``root``, skipped folders and symbolic links left out."""
    pending = [root]
    while pending:
        try:
            entries = list(os.scandir(pending.pop()))
        except OSError:
            continue
        for entry in entries:
            if entry.is_symlink():
                continue
            if entry.is_dir():
                if entry.name not in SKIPPED_DIRS:
                    pending.append(Path(entry.path))
            elif entry.is_file():
                yield Path(entry.path)
