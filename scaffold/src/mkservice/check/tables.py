"""Check 1: every table is defined by exactly one service.

Tables are read from each service's source by syntax tree, the way SQLAlchemy would name them:
SQLModel classes with ``table=True`` (``__tablename__`` or the class name lowercased), declarative
classes with a ``__tablename__``, and ``Table("name", metadata, ...)`` calls.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from mkservice.check.discovery import Service
from mkservice.check.pysource import called_name, parse_python, python_files, relative, string_value
from mkservice.check.results import CheckResult, Finding, sorted_findings

# The chassis adds these to every service's own metadata; each service has its own copy in its
# own database, as it has its own alembic_version.
CHASSIS_TABLES = frozenset({"outbox_message", "processed_message"})
LOCAL_TABLES = CHASSIS_TABLES | {"alembic_version"}
_CATALOG_PREFIXES = ("sqlite_", "pg_", "information_schema")


@dataclass(frozen=True)
class TableDefinition:
    """A table defined in a service's source."""

    table: str
    service: str
    file: Path
    line: int
    how: str


def is_local_table(name: str) -> bool:
    """True for tables every service may have its own copy of: chassis, Alembic, catalogs."""
    return name in LOCAL_TABLES or name.startswith(_CATALOG_PREFIXES)


def find_table_definitions(service: Service) -> list[TableDefinition]:
    """Every table the service's ``src/`` defines, in file and line order."""
    found: list[TableDefinition] = []
    for path in python_files([service.src]):
        tree = parse_python(path)
        if tree is None:
            continue
        for node in ast.walk(tree):
            if not isinstance(node, ast.ClassDef | ast.Call):
                continue
            definition = _definition(node)
            if definition is not None:
                table, how = definition
                found.append(TableDefinition(table.lower(), service.name, path, node.lineno, how))
    return sorted(found, key=lambda d: (str(d.file), d.line))


def _definition(node: ast.ClassDef | ast.Call) -> tuple[str, str] | None:
    if isinstance(node, ast.ClassDef):
        return _class_table(node)
    if called_name(node) == "Table" and _is_sqlalchemy_table(node):
        name = string_value(node.args[0])
        return (name, "Table()") if name else None
    return None


def _is_sqlalchemy_table(call: ast.Call) -> bool:
    # Table(name, metadata, ...): a string second argument is some other Table, such as rich's.
    if len(call.args) < 2:
        return False
    metadata = call.args[1]
    return not isinstance(metadata, ast.Constant | ast.JoinedStr)


def _class_table(node: ast.ClassDef) -> tuple[str, str] | None:
    is_sqlmodel_table = any(
        kw.arg == "table" and isinstance(kw.value, ast.Constant) and kw.value.value is True
        for kw in node.keywords
    )
    assigned = _class_attribute(node, "__tablename__")
    if is_sqlmodel_table:
        if assigned is None:
            return node.name.lower(), f"class {node.name}(table=True)"
        # A computed __tablename__ (declared_attr) cannot be read statically.
        name = string_value(assigned)
        return (name, f"class {node.name}(table=True)") if name else None
    if assigned is None or _class_attribute(node, "__abstract__") is not None:
        return None
    name = string_value(assigned)
    return (name, f"class {node.name} (__tablename__)") if name else None


def _class_attribute(node: ast.ClassDef, attribute: str) -> ast.expr | None:
    for statement in node.body:
        if isinstance(statement, ast.Assign):
            targets = statement.targets
        elif isinstance(statement, ast.AnnAssign) and statement.value is not None:
            targets = [statement.target]
        else:
            continue
        if any(isinstance(t, ast.Name) and t.id == attribute for t in targets):
            return statement.value
    return None


def definitions_by_table(
    definitions: Iterable[TableDefinition],
) -> dict[str, list[TableDefinition]]:
    """The definitions grouped by table name, local tables left out."""
    grouped: dict[str, list[TableDefinition]] = defaultdict(list)
    for definition in definitions:
        if not is_local_table(definition.table):
            grouped[definition.table].append(definition)
    return dict(grouped)


def check_shared_tables(repo: Path, definitions: Iterable[TableDefinition]) -> CheckResult:
    """Check 1: FAIL for each table that more than one service defines, at every location."""
    findings: list[Finding] = []
    for table, places in definitions_by_table(definitions).items():
        services = tuple(sorted({place.service for place in places}))
        if len(services) < 2:
            continue
        for place in places:
            others = ", ".join(
                f"{other.service} ({relative(repo, other.file)}:{other.line})"
                for other in places
                if other.service != place.service
            )
            findings.append(
                Finding(
                    file=relative(repo, place.file),
                    line=place.line,
                    services=services,
                    detail=f"table {table} ({place.how}) is also defined by {others}",
                )
            )
    return CheckResult(
        id="shared-tables",
        name="Shared tables",
        symptom="shared database tables",
        findings=sorted_findings(findings),
    )
