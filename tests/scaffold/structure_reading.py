"""Reading a service (or the rendered template) for test_structure.py: its modules parsed with
``ast``, its imports, the names its code uses."""

from __future__ import annotations

import ast
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import pytest

# --- what is compared: the rendered template and each service ---------------------------------


@dataclass(frozen=True)
class Subject:
    """A service folder (the rendered template, or one under services/) and its names."""

    label: str
    folder: Path
    service: str
    package: str
    port: int | None

    @property
    def source(self) -> Path:
        return self.folder / "src" / self.package

    @cached_property
    def modules(self) -> dict[str, Module]:
        """Every module of the package, by its path relative to ``src/<pkg>/``."""
        return {
            path.relative_to(self.source).as_posix(): Module.read(path, self.source)
            for path in sorted(self.source.rglob("*.py"))
            if "__pycache__" not in path.parts
        }

    def under(self, *folders: str) -> list[Module]:
        """The modules inside the given sub-packages (``""`` for all)."""
        return [
            module
            for relative, module in self.modules.items()
            if any(not folder or relative.startswith(f"{folder}/") for folder in folders)
        ]

    def module(self, relative: str) -> Module:
        if relative not in self.modules:
            pytest.fail(f"{self.label} has no src/{self.package}/{relative}")
        return self.modules[relative]

    @cached_property
    def test_modules(self) -> list[Module]:
        tests = self.folder / "tests"
        return [Module.read(path, tests) for path in sorted(tests.rglob("*.py"))]

    @cached_property
    def pyproject(self) -> dict[str, Any]:
        return tomllib.loads((self.folder / "pyproject.toml").read_text())


@dataclass(frozen=True)
class Module:
    """One parsed source file and its dotted name."""

    path: Path
    name: str
    tree: ast.Module

    @classmethod
    def read(cls, path: Path, source: Path) -> Module:
        parts = list(path.relative_to(source.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        return cls(path, ".".join(parts), ast.parse(path.read_text(), filename=str(path)))

    @property
    def is_package(self) -> bool:
        return self.path.name == "__init__.py"

    def where(self, node: ast.AST) -> str:
        return f"{self.path.name}:{getattr(node, 'lineno', '?')} ({self.name})"

    def nodes(self, *kinds: type[ast.AST]) -> Iterator[Any]:
        return (node for node in ast.walk(self.tree) if isinstance(node, kinds))

    def calls(self) -> Iterator[tuple[str, ast.Call]]:
        """Every call, with the dotted name of what it calls (``self.session.add``)."""
        for call in self.nodes(ast.Call):
            yield dotted(call.func), call

    def resolved_calls(self) -> Iterator[tuple[str, ast.Call]]:
        """Every call, with what it calls as an absolute name where an import says
        (``c.ChargeV1`` after ``from orders.messaging import contracts as c`` gives
        ``orders.messaging.contracts.ChargeV1``)."""
        aliases = self.aliases()
        for name, call in self.calls():
            head, _, rest = name.partition(".")
            if head in aliases:
                name = ".".join(filter(None, [aliases[head], rest]))
            yield name, call

    def aliases(self) -> dict[str, str]:
        """Local name -> the absolute name it was imported as."""
        found = {}
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname:
                        found[alias.asname] = alias.name
            elif isinstance(node, ast.ImportFrom):
                base = self._absolute(node)
                for alias in node.names:
                    found[alias.asname or alias.name] = f"{base}.{alias.name}"
        return found

    def _absolute(self, node: ast.ImportFrom) -> str:
        base = node.module or ""
        if not node.level:
            return base
        package = self.name.split(".")
        if not self.is_package:
            package.pop()
        package = package[: len(package) - node.level + 1]
        return ".".join([*package, *([base] if base else [])])

    def imports(self) -> set[str]:
        """Every module imported (absolute; ``from x import y`` gives ``x`` and ``x.y``),
        ``TYPE_CHECKING`` blocks included."""
        found = set()
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Import):
                found |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom):
                base = self._absolute(node)
                found.add(base)
                found |= {f"{base}.{alias.name}" for alias in node.names}
        return found

    def imports_from(self, module: str) -> bool:
        return any(name == module or name.startswith(f"{module}.") for name in self.imports())

    def top_level_functions(self) -> dict[str, ast.FunctionDef | ast.AsyncFunctionDef]:
        return {
            node.name: node
            for node in self.tree.body
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        }

    def top_level_names(self) -> set[str]:
        """Names bound at the module's top level (assignments, classes, functions)."""
        names = set(self.top_level_functions())
        for node in self.tree.body:
            if isinstance(node, ast.ClassDef):
                names.add(node.name)
            elif isinstance(node, ast.Assign):
                names |= {target.id for target in node.targets if isinstance(target, ast.Name)}
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                names.add(node.target.id)
        return names

    def classes(self) -> list[ast.ClassDef]:
        return [node for node in self.tree.body if isinstance(node, ast.ClassDef)]


def dotted(node: ast.AST) -> str:
    """``a.b.c`` for a name or an attribute chain; ``f().x`` for one through a call."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{dotted(node.value)}.{node.attr}"
    if isinstance(node, ast.Call):
        return f"{dotted(node.func)}()"
    return "?"


def named(node: ast.AST | None) -> set[str]:
    """The class names an annotation mentions (``A | B`` gives both, ``x.A`` gives ``A``)."""
    if isinstance(node, ast.Name):
        return {node.id}
    if isinstance(node, ast.Attribute):
        return {node.attr}
    if isinstance(node, ast.BinOp):
        return named(node.left) | named(node.right)
    if isinstance(node, ast.Subscript):
        return named(node.slice)
    if isinstance(node, ast.Tuple):
        return set().union(*(named(element) for element in node.elts))
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return named(ast.parse(node.value, mode="eval").body)
    return set()


def read_services(root: Path) -> list[Subject]:
    """Every folder of ``root/services`` with a ``[tool.mkservice]`` record."""
    found = []
    for pyproject in sorted((root / "services").glob("*/pyproject.toml")):
        record = tomllib.loads(pyproject.read_text()).get("tool", {}).get("mkservice")
        if isinstance(record, dict):
            folder = pyproject.parent
            found.append(
                Subject(
                    label=f"services/{folder.name}",
                    folder=folder,
                    service=str(record.get("service", folder.name)),
                    package=str(record.get("package", folder.name.replace("-", "_"))),
                    port=record.get("port"),
                )
            )
    return found
