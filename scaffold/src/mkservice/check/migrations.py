"""Which tables each service's Alembic migrations create, change or drop.

Read from ``migrations/versions/*.py`` by syntax tree: the ``op.*`` calls that name a table, the
lightweight ``table("x", ...)`` constructs used for data migrations, foreign keys to other
tables, and the raw SQL given to ``op.execute``, ``text`` or ``exec_driver_sql`` (read with
sqlglot).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

from mkservice.check.discovery import Service
from mkservice.check.pysource import (
    argument,
    called_name,
    dotted_name,
    parse_python,
    python_files,
    string_value,
)
from mkservice.check.sqltables import tables_in_sql

# Alembic operation -> the (position, keyword) of each argument that names a table.
_OP_TABLE_ARGS: dict[str, tuple[tuple[int, str], ...]] = {
    "create_table": ((0, "table_name"),),
    "drop_table": ((0, "table_name"),),
    "rename_table": ((0, "old_table_name"), (1, "new_table_name")),
    "add_column": ((0, "table_name"),),
    "drop_column": ((0, "table_name"),),
    "alter_column": ((0, "table_name"),),
    "batch_alter_table": ((0, "table_name"),),
    "create_table_comment": ((0, "table_name"),),
    "drop_table_comment": ((0, "table_name"),),
    "create_index": ((1, "table_name"),),
    "drop_index": ((1, "table_name"),),
    "create_unique_constraint": ((1, "table_name"),),
    "create_check_constraint": ((1, "table_name"),),
    "create_primary_key": ((1, "table_name"),),
    "drop_constraint": ((1, "table_name"),),
    "create_foreign_key": ((1, "source_table"), (2, "referent_table")),
}
# The argument of these operations that brings a table into being.
_CREATED_BY: dict[str, str] = {"create_table": "table_name", "rename_table": "new_table_name"}
# Calls whose first argument is raw SQL: op.execute, connection.execute, text, ...
_SQL_CALLS = frozenset({"execute", "exec_driver_sql", "text"})
# Inside ``with op.batch_alter_table(...) as batch_op`` the source table is implied.
_BATCH_TABLE_ARGS: dict[str, tuple[tuple[int, str], ...]] = {
    "create_foreign_key": ((1, "referent_table"),),
}


@dataclass(frozen=True)
class TableTouch:
    """A migration statement that creates, changes, drops or refers to a table."""

    table: str
    service: str
    file: Path
    line: int
    operation: str
    creates: bool = False


def migration_files(service: Service) -> list[Path]:
    """The service's Alembic revision scripts."""
    return [p for p in python_files([service.migrations / "versions"]) if p.name != "__init__.py"]


def find_migration_touches(service: Service) -> list[TableTouch]:
    """Every table the service's migrations touch, in file and line order."""
    touches: list[TableTouch] = []
    for path in migration_files(service):
        tree = parse_python(path)
        if tree is not None:
            touches.extend(_touches_in(tree, service.name, path))
    return sorted(touches, key=lambda t: (str(t.file), t.line, t.table))


def _touches_in(tree: ast.Module, service: str, path: Path) -> list[TableTouch]:
    batch_names = _batch_operation_names(tree)
    found: list[TableTouch] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        for table, operation, creates in _tables_of_call(node, batch_names):
            found.append(TableTouch(table.lower(), service, path, node.lineno, operation, creates))
    return found


def _tables_of_call(call: ast.Call, batch_names: set[str]) -> list[tuple[str, str, bool]]:
    name = called_name(call)
    receiver = dotted_name(call.func.value) if isinstance(call.func, ast.Attribute) else None
    if name is None:
        return []
    if name in _SQL_CALLS:
        return _tables_of_sql(call, f"{receiver}.{name}" if receiver else f"{name}()")
    if receiver in {"op", "alembic.op"}:
        return _named_tables(call, f"op.{name}", _OP_TABLE_ARGS.get(name, ()), name)
    if receiver in batch_names:
        return _named_tables(call, f"{receiver}.{name}", _BATCH_TABLE_ARGS.get(name, ()), None)
    if name in {"table", "Table"}:
        return _named_tables(call, f"{name}()", ((0, "name"),), None)
    if name == "ForeignKey":
        return _referenced_tables(argument(call, 0, "column"), "ForeignKey()")
    if name == "ForeignKeyConstraint":
        return _referenced_tables(argument(call, 1, "refcolumns"), "ForeignKeyConstraint()")
    return []


def _named_tables(
    call: ast.Call, operation: str, specs: tuple[tuple[int, str], ...], op_name: str | None
) -> list[tuple[str, str, bool]]:
    created_keyword = _CREATED_BY.get(op_name or "")
    found = []
    for position, keyword in specs:
        table = string_value(argument(call, position, keyword))
        if table:
            found.append((table, operation, keyword == created_keyword))
    return found


def _tables_of_sql(call: ast.Call, operation: str) -> list[tuple[str, str, bool]]:
    # op.execute(text("...")) is read once, at the text() call.
    sql = string_value(argument(call, 0), placeholder="__mkservice_value__")
    tables = tables_in_sql(sql) if sql else None
    return [(t.name, operation, t.created) for t in tables or ()]


def _referenced_tables(columns: ast.expr | None, operation: str) -> list[tuple[str, str, bool]]:
    # "table.column" or "schema.table.column"; the table is the part before the column.
    values = columns.elts if isinstance(columns, ast.List | ast.Tuple) else [columns]
    found = []
    for value in values:
        text = string_value(value)
        if text and "." in text:
            found.append((text.split(".")[-2], operation, False))
    return found


def _batch_operation_names(tree: ast.Module) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.With | ast.AsyncWith):
            for item in node.items:
                expr, target = item.context_expr, item.optional_vars
                if (
                    isinstance(expr, ast.Call)
                    and called_name(expr) == "batch_alter_table"
                    and isinstance(target, ast.Name)
                ):
                    names.add(target.id)
    return names
