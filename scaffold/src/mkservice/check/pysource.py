"""Reading Python source for the checks: which files, their syntax trees, literal strings."""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from pathlib import Path

# Folders that hold no source of the service itself.
_SKIPPED_DIRS = frozenset({"__pycache__", "node_modules", "build", "dist"})


def python_files(folders: Iterable[Path]) -> list[Path]:
    """Every ``.py`` file under ``folders`` (which may be missing), sorted, caches skipped."""
    found: set[Path] = set()
    for folder in folders:
        if folder.is_file() and folder.suffix == ".py":
            found.add(folder)
        elif folder.is_dir():
            found.update(_walk(folder))
    return sorted(found)


def _walk(folder: Path) -> Iterator[Path]:
    for entry in folder.iterdir():
        if entry.is_dir():
            if entry.name not in _SKIPPED_DIRS and not entry.name.startswith("."):
                yield from _walk(entry)
        elif entry.suffix == ".py":
            yield entry


def parse_python(path: Path) -> ast.Module | None:
    """The syntax tree of ``path``, or None when it is not valid Python."""
    try:
        return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except (SyntaxError, UnicodeDecodeError, ValueError):
        return None


def relative(repo: Path, path: Path) -> str:
    """``path`` relative to ``repo``, with forward slashes."""
    try:
        return path.resolve().relative_to(repo.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def dotted_name(node: ast.expr) -> str | None:
    """``a.b.c`` for a name or attribute chain, else None."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = dotted_name(node.value)
        return f"{base}.{node.attr}" if base else None
    return None


def called_name(call: ast.Call) -> str | None:
    """The last part of what is called: ``text`` for ``sa.text(...)``, ``execute`` for
    ``session.execute(...)``."""
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


def string_value(node: ast.expr | None, placeholder: str | None = None) -> str | None:
    """The text of a string literal, an implicit or ``+`` concatenation of them, or an f-string.

    An f-string's replacement fields become ``placeholder``, or their own source in braces when
    no placeholder is given, so that two identical f-strings compare equal.
    """
    if node is None:
        return None
    if isinstance(node, ast.Constant):
        return node.value if isinstance(node.value, str) else None
    if isinstance(node, ast.JoinedStr):
        parts = []
        for value in node.values:
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                parts.append(value.value)
            elif isinstance(value, ast.FormattedValue):
                parts.append(placeholder or "{" + ast.unparse(value.value) + "}")
            else:
                return None
        return "".join(parts)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left = string_value(node.left, placeholder)
        right = string_value(node.right, placeholder)
        return left + right if left is not None and right is not None else None
    return None


def string_expressions(
    node: ast.AST, skipped: set[int], placeholder: str | None = None
) -> Iterator[tuple[ast.expr, str]]:
    """The outermost string-valued expressions under ``node`` with their text, skipping the nodes
    whose ``id()`` is in ``skipped``; a concatenation or f-string is read whole, never as its
    fragments."""
    for child in ast.iter_child_nodes(node):
        if id(child) in skipped:
            continue
        if isinstance(child, ast.Constant | ast.JoinedStr | ast.BinOp):
            text = string_value(child, placeholder)
            if text is not None:
                yield child, text
                continue
        yield from string_expressions(child, skipped, placeholder)


def argument(call: ast.Call, position: int, keyword: str | None = None) -> ast.expr | None:
    """The argument at ``position``, or the one passed as ``keyword``."""
    if keyword is not None:
        for kw in call.keywords:
            if kw.arg == keyword:
                return kw.value
    if position < len(call.args) and not isinstance(call.args[position], ast.Starred):
        return call.args[position]
    return None


def docstring_ids(tree: ast.Module) -> set[int]:
    """The ``id()`` of every docstring constant in ``tree``, so prose is never read as SQL."""
    found: set[int] = set()
    owners = (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)
    for node in ast.walk(tree):
        if isinstance(node, owners) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found
