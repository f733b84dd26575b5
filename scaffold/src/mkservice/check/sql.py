"""Check 3: SQL written in a service's source names only that service's own tables.

A string is read as SQL when it is given to ``text()``, ``exec_driver_sql()`` or ``execute()``,
or when it starts with SELECT, INSERT, UPDATE, DELETE or WITH; sqlglot then names its tables.
Lightweight ``table("name", ...)`` constructs count too. Importing another service's table
classes is check 4's business.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from mkservice.check.discovery import Service
from mkservice.check.ownership import TableOwnership
from mkservice.check.pysource import (
    argument,
    called_name,
    docstring_ids,
    parse_python,
    python_files,
    relative,
    string_expressions,
    string_value,
)
from mkservice.check.results import CheckResult, Finding, sorted_findings
from mkservice.check.sqltables import looks_like_query, tables_in_sql

_SQL_CALLS = frozenset({"text", "exec_driver_sql", "execute", "executemany", "executescript"})
_PLACEHOLDER = "__mkservice_value__"


@dataclass(frozen=True)
class TableUse:
    """Tables named together by one SQL string or table construct in a service's source."""

    service: str
    file: Path
    line: int
    tables: tuple[str, ...]
    via: str


def find_table_uses(service: Service) -> list[TableUse]:
    """Every SQL string and ``table()`` construct in the service's ``src/`` and its tables."""
    uses: list[TableUse] = []
    for path in python_files([service.src]):
        tree = parse_python(path)
        if tree is not None:
            uses.extend(_uses_in(tree, service.name, path))
    return sorted(uses, key=lambda use: (str(use.file), use.line))


def _uses_in(tree: ast.Module, service: str, path: Path) -> Iterator[TableUse]:
    sql_arguments = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = called_name(node)
        if name in _SQL_CALLS and (first := argument(node, 0)) is not None:
            sql_arguments.add(id(first))
        elif name == "table" and (table := string_value(argument(node, 0))):
            yield TableUse(service, path, node.lineno, (table.lower(),), "table() construct")
    for node, text in string_expressions(tree, docstring_ids(tree), _PLACEHOLDER):
        if id(node) not in sql_arguments and not looks_like_query(text):
            continue
        tables = tables_in_sql(text)
        if tables:
            names = tuple(t.name for t in tables if t.name != _PLACEHOLDER)
            yield TableUse(service, path, node.lineno, names, "SQL")


def check_cross_service_queries(
    repo: Path, uses: Iterable[TableUse], ownership: TableOwnership
) -> CheckResult:
    """FAIL for each SQL string or table construct naming a table another service owns."""
    findings = [finding for use in uses if (finding := _finding(repo, use, ownership)) is not None]
    return CheckResult(
        id="cross-service-queries",
        name="Cross-service queries",
        symptom="cross-service joins",
        findings=sorted_findings(findings),
    )


def _finding(repo: Path, use: TableUse, ownership: TableOwnership) -> Finding | None:
    foreign = {
        table: owners
        for table in use.tables
        if (owners := ownership.foreign_owners(use.service, table))
    }
    if not foreign:
        return None
    own = [t for t in use.tables if t not in foreign and use.service in ownership.owners(t)]
    owning = sorted({owner for owners in foreign.values() for owner in owners})
    described = ", ".join(
        f"{table} (owned by {', '.join(sorted(owners))})" for table, owners in foreign.items()
    )
    if own or len(owning) > 1:
        mine = f" own {', '.join(own)} with" if own else ""
        detail = f"cross-service join: {use.via} joins{mine} {described}"
    else:
        detail = f"{use.via} uses table {described}"
    return Finding(
        file=relative(repo, use.file),
        line=use.line,
        services=(use.service, *owning),
        detail=detail,
    )
