"""The tables a piece of SQL names, read with sqlglot's parser."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

# Tried in order: the generic dialect reads most SQL, PostgreSQL adds %(name)s parameters,
# SQLite adds PRAGMA.
_DIALECTS: tuple[str | None, ...] = (None, "postgres", "sqlite")
_QUERY_KEYWORDS = ("select", "insert", "update", "delete", "with")
# Objects of CREATE/DROP that are tables; an index name is not.
_TABLE_KINDS = frozenset({"TABLE", "VIEW"})


@dataclass(frozen=True)
class SqlTable:
    """A table named by SQL; ``created`` when the statement creates it or renames to it."""

    name: str
    created: bool = False


def looks_like_query(text: str) -> bool:
    """True when ``text`` starts (after whitespace) with SELECT, INSERT, UPDATE, DELETE or WITH."""
    head = text.lstrip()[:7].lower()
    return any(head.startswith(word) and _ends_word(head, word) for word in _QUERY_KEYWORDS)


def _ends_word(head: str, keyword: str) -> bool:
    return len(head) == len(keyword) or not head[len(keyword)].isalnum()


def tables_in_sql(sql: str) -> list[SqlTable] | None:
    """The tables ``sql`` reads, writes, creates or drops, lowercased, CTE names left out.

    Returns None when no dialect parses it, so the caller can tell prose from a query on nothing.
    """
    statements = _parse(sql)
    if statements is None:
        return None
    found: dict[str, SqlTable] = {}
    for statement in statements:
        if statement is None or isinstance(statement, exp.Command):
            continue
        ctes = {cte.alias_or_name.lower() for cte in statement.find_all(exp.CTE)}
        for table in statement.find_all(exp.Table):
            name = table.name.lower()
            if not name or (name in ctes and not table.db) or _is_index_name(table):
                continue
            created = _is_created(table) or (name in found and found[name].created)
            found[name] = SqlTable(name, created)
    return list(found.values())


# The node types are Any because sqlglot renamed its base node class (Expression, then Expr).
def _parse(sql: str) -> list[Any] | None:
    with _quiet_sqlglot():
        for dialect in _DIALECTS:
            try:
                return sqlglot.parse(sql, read=dialect)
            except SqlglotError:
                continue
    return None


def _statement_of(table: exp.Table) -> Any:
    # CREATE TABLE t (cols) wraps the table in a Schema node.
    parent = table.parent
    return parent.parent if isinstance(parent, exp.Schema) else parent


def _is_index_name(table: exp.Table) -> bool:
    statement = _statement_of(table)
    if isinstance(statement, exp.Create | exp.Drop):
        return str(statement.args.get("kind") or "").upper() not in _TABLE_KINDS
    return False


def _is_created(table: exp.Table) -> bool:
    statement = _statement_of(table)
    if isinstance(statement, exp.Create):
        return str(statement.args.get("kind") or "").upper() in _TABLE_KINDS
    return isinstance(table.parent, exp.AlterRename)


@contextmanager
def _quiet_sqlglot() -> Iterator[None]:
    # sqlglot logs a warning for every statement it falls back to a Command on; the checks read
    # thousands of strings and only want the tables.
    logger = logging.getLogger("sqlglot")
    previous = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(previous)
