"""Editing Python source the way a person would, for ``mkservice subscribe``: an import added
where ruff's isort puts it, a call or a signature wrapped where ruff format wraps it, lines
inserted into a file whose shape :mod:`ast` found.

Only the lines that change are touched; everything else in the file stays byte for byte.
"""

from __future__ import annotations

import ast
import sys
import textwrap
from dataclasses import dataclass

LINE_LENGTH = 100  # the workspace's ruff line-length


def parse(text: str, path: str) -> ast.Module | None:
    """The module, or ``None`` when ``text`` is not valid Python."""
    try:
        return ast.parse(text, filename=path)
    except SyntaxError:
        return None


def top_level_names(module: ast.Module) -> dict[str, ast.stmt]:
    """Every name the module binds at its top level (classes, functions, assignments, imports)."""
    found: dict[str, ast.stmt] = {}
    for node in module.body:
        if isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            found[node.name] = node
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    found[target.id] = node
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            found[node.target.id] = node
        elif isinstance(node, ast.Import | ast.ImportFrom):
            for alias in node.names:
                found[(alias.asname or alias.name).split(".")[0]] = node
    return found


def imported_alias(module: ast.Module, source: str, name: str) -> str | None:
    """The local name of ``from source import name`` in ``module``, if it imports it so."""
    for node in module.body:
        if isinstance(node, ast.ImportFrom) and node.module == source and node.level == 0:
            for alias in node.names:
                if alias.name == name:
                    return alias.asname or alias.name
    return None


def _name_key(name: str) -> tuple[int, str]:
    # ruff's isort (order-by-type): CONSTANTS, then Classes, then functions and modules.
    bare = name.split(" as ")[0]
    if bare.isupper() and len(bare) > 1:
        return (0, bare)
    return (1, bare) if bare[:1].isupper() else (2, bare)


def render_from_import(source: str, names: list[str]) -> str:
    """``from source import a, B`` as ruff writes it: sorted, wrapped in parentheses one name a
    line (with the trailing comma) when one line would be too long."""
    ordered = sorted(dict.fromkeys(names), key=_name_key)
    line = f"from {source} import {', '.join(ordered)}"
    if len(line) <= LINE_LENGTH:
        return line
    inner = "".join(f"    {name},\n" for name in ordered)
    return f"from {source} import (\n{inner})"


@dataclass(frozen=True)
class Edit:
    """Replace lines ``start``..``end`` (1-based, ``end`` inclusive; ``end = start - 1`` to
    insert before ``start``) with ``text`` (whole lines, each ending in a newline)."""

    start: int
    end: int
    text: str


def merged(edits: list[Edit]) -> list[Edit]:
    """Two new imports placed at the same spot become one edit (in order)."""
    found: dict[tuple[int, int], Edit] = {}
    for edit in edits:
        key = (edit.start, edit.end)
        if key in found and edit.end < edit.start:
            found[key] = Edit(edit.start, edit.end, found[key].text + edit.text)
        elif key in found:
            raise ValueError("two edits replace the same lines")
        else:
            found[key] = edit
    return list(found.values())


def apply_edits(text: str, edits: list[Edit]) -> str:
    """``text`` with every edit made (they must not overlap)."""
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    for edit in sorted(edits, key=lambda e: (e.start, e.end), reverse=True):
        lines[edit.start - 1 : edit.end] = [edit.text] if edit.text else []
    return "".join(lines)


def _section(module_name: str, first_party: str) -> int:
    top = module_name.split(".")[0]
    if top == "__future__":
        return 0
    if top in sys.stdlib_module_names:
        return 1
    return 3 if top == first_party else 2


def ensure_from_import(
    module: ast.Module, source: str, names: list[str], first_party: str
) -> tuple[dict[str, str], Edit | None]:
    """The local name under which ``module`` has each of ``from source import name``, and the
    edit that adds those it has not: into the module's existing ``from source import`` when
    there is one, else as a new line where isort sorts it."""
    aliases = {name: imported_alias(module, source, name) for name in names}
    missing = [name for name, alias in aliases.items() if alias is None]
    found = {name: alias or name for name, alias in aliases.items()}
    if not missing:
        return found, None
    for node in module.body:
        if isinstance(node, ast.ImportFrom) and node.module == source and node.level == 0:
            present = [
                alias.name if alias.asname is None else f"{alias.name} as {alias.asname}"
                for alias in node.names
            ]
            text = render_from_import(source, [*present, *missing]) + "\n"
            return found, Edit(node.lineno, node.end_lineno or node.lineno, text)
    line = render_from_import(source, missing)
    return found, _new_import_line(module, source, line, first_party)


def _new_import_line(module: ast.Module, source: str, line: str, first_party: str) -> Edit:
    imports = [node for node in module.body if isinstance(node, ast.Import | ast.ImportFrom)]
    key = (_section(source, first_party), source)
    if not imports:
        # After the module docstring, or at the top.
        body = module.body
        docstring = bool(body) and isinstance(body[0], ast.Expr) and _is_string(body[0].value)
        after = (body[0].end_lineno or 1) if docstring else 0
        lead = "\n" if docstring else ""
        return Edit(after + 1, after, f"{lead}{line}\n")

    def key_of(node: ast.Import | ast.ImportFrom) -> tuple[int, str]:
        name = (node.module or "") if isinstance(node, ast.ImportFrom) else node.names[0].name
        return (_section(name, first_party), name)

    for node in imports:
        if key_of(node) > key:
            blank = "\n" if key_of(node)[0] != key[0] else ""
            return Edit(node.lineno, node.lineno - 1, f"{line}\n{blank}")
    last = imports[-1]
    end = last.end_lineno or last.lineno
    blank = "\n" if key_of(last)[0] != key[0] else ""
    return Edit(end + 1, end, f"{blank}{line}\n")


def _is_string(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str)


def wrapped(head: str, arguments: list[str], tail: str, indent: str) -> str:
    """``head(arguments)tail`` at ``indent`` as ruff format writes it: on one line if it fits,
    else the arguments on one line of their own, else one argument a line with a trailing
    comma. No newline at the end."""
    joined = ", ".join(arguments)
    one_line = f"{indent}{head}({joined}){tail}"
    if len(one_line) <= LINE_LENGTH or not arguments:
        return one_line
    inner = indent + "    "
    if len(inner + joined) <= LINE_LENGTH:
        return f"{indent}{head}(\n{inner}{joined}\n{indent}){tail}"
    each = "".join(f"{inner}{argument},\n" for argument in arguments)
    return f"{indent}{head}(\n{each}{indent}){tail}"


def docstring(text: str, indent: str) -> str:
    """A triple-quoted docstring at ``indent``, wrapped to the line length."""
    width = LINE_LENGTH - len(indent)
    lines = textwrap.wrap(text, width - 6, break_long_words=False, break_on_hyphens=False)
    if len(lines) == 1:
        return f'{indent}"""{lines[0]}"""\n'
    body = "".join(f"{indent}{line}\n" for line in lines[1:])
    return f'{indent}"""{lines[0]}\n{body}{indent}"""\n'
