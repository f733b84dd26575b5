"""Who owns each table: the service whose source defines it, or else whose migrations create it."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from mkservice.check.migrations import TableTouch
from mkservice.check.tables import TableDefinition, is_local_table


@dataclass(frozen=True)
class TableOwnership:
    """Table name -> the services that own it (more than one only when check 1 fails)."""

    owners_by_table: dict[str, frozenset[str]]

    def owners(self, table: str) -> frozenset[str]:
        """The services owning ``table``; empty for local or unknown tables."""
        return self.owners_by_table.get(table, frozenset())

    def owns(self, service: str, table: str) -> bool:
        """True when ``service`` may touch ``table``: it owns it or has its own copy of it."""
        return is_local_table(table) or service in self.owners(table)

    def foreign_owners(self, service: str, table: str) -> frozenset[str]:
        """The other services owning ``table``, when ``service`` does not own it itself."""
        if self.owns(service, table):
            return frozenset()
        return self.owners(table)


def all_definitions(
    definitions: Iterable[TableDefinition], touches: Iterable[TableTouch]
) -> list[TableDefinition]:
    """The source definitions, plus a definition for each table that only migrations create."""
    definitions = list(definitions)
    modelled = {definition.table for definition in definitions}
    for touch in touches:
        if touch.creates and touch.table not in modelled and not is_local_table(touch.table):
            how = f"created by {touch.operation} in a migration"
            definitions.append(
                TableDefinition(touch.table, touch.service, touch.file, touch.line, how)
            )
    return _first_per_service(definitions)


def _first_per_service(definitions: list[TableDefinition]) -> list[TableDefinition]:
    # A table created by several migrations of one service (say re-created after a rename) is
    # still one definition; keep its first.
    seen: set[tuple[str, str]] = set()
    kept = []
    for definition in sorted(definitions, key=lambda d: (str(d.file), d.line)):
        key = (definition.table, definition.service)
        if key in seen and definition.how.startswith("created by"):
            continue
        seen.add(key)
        kept.append(definition)
    return kept


def table_ownership(definitions: Iterable[TableDefinition]) -> TableOwnership:
    """The ownership map of ``definitions`` (as returned by :func:`all_definitions`)."""
    owners: dict[str, set[str]] = defaultdict(set)
    for definition in definitions:
        owners[definition.table].add(definition.service)
    return TableOwnership({table: frozenset(names) for table, names in owners.items()})
