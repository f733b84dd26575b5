"""A service's migration head, read from its migration files without importing them."""

from __future__ import annotations

import ast
from pathlib import Path


def migration_heads(migrations: Path) -> list[str]:
    """The revisions of ``migrations/versions/*.py`` that no other revision names as its
    ``down_revision`` (one, unless the history has branched); sorted."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in sorted((migrations / "versions").glob("*.py")):
        found = _revision_of(path)
        if found is None:
            continue
        revision, down = found
        revisions.add(revision)
        parents.update(down)
    return sorted(revisions - parents)


def _revision_of(path: Path) -> tuple[str, list[str]] | None:
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
        return None
    values: dict[str, object] = {}
    for node in tree.body:
        target, value = _assignment(node)
        if target in {"revision", "down_revision"} and value is not None:
            try:
                values[target] = ast.literal_eval(value)
            except ValueError:
                continue
    revision = values.get("revision")
    if not isinstance(revision, str):
        return None
    down = values.get("down_revision")
    if isinstance(down, str):
        return revision, [down]
    if isinstance(down, tuple | list):
        return revision, [str(item) for item in down]
    return revision, []


def _assignment(node: ast.stmt) -> tuple[str | None, ast.expr | None]:
    if isinstance(node, ast.Assign) and len(node.targets) == 1:
        target = node.targets[0]
        return (target.id if isinstance(target, ast.Name) else None), node.value
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
        return node.target.id, node.value
    return None, None
