"""Run the seven static checks over a workspace."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from mkservice.check.conflicts import check_merge_conflicts
from mkservice.check.contracts import check_contract_compatibility
from mkservice.check.databases import check_shared_databases
from mkservice.check.dbsources import find_database_uses
from mkservice.check.discovery import Service, discover_services
from mkservice.check.imports import check_interface_coupling
from mkservice.check.migrations import find_migration_touches
from mkservice.check.ownership import all_definitions, table_ownership
from mkservice.check.results import Report
from mkservice.check.schema import check_schema_coupling
from mkservice.check.sql import check_cross_service_queries, find_table_uses
from mkservice.check.tables import check_shared_tables, find_table_definitions


def run_static_checks(
    repo: Path, services: Sequence[Service] | None = None, *, against: str | None = None
) -> Report:
    """Checks 1-7 over ``repo``: shared tables, schema coupling, cross-service queries,
    interface coupling, shared databases, contract compatibility (its documents compared with
    the git ref ``against``; see :func:`mkservice.git_history.base_ref`), merge conflicts.

    ``services`` defaults to those found under ``repo/services``; raises ``FileNotFoundError``
    when there is no such folder.
    """
    repo = repo.resolve()
    services = discover_services(repo) if services is None else list(services)
    touches = [touch for service in services for touch in find_migration_touches(service)]
    definitions = all_definitions(
        (definition for service in services for definition in find_table_definitions(service)),
        touches,
    )
    ownership = table_ownership(definitions)
    table_uses = [use for service in services for use in find_table_uses(service)]
    return Report(
        (
            check_shared_tables(repo, definitions),
            check_schema_coupling(repo, touches, ownership),
            check_cross_service_queries(repo, table_uses, ownership),
            check_interface_coupling(repo, services),
            check_shared_databases(repo, find_database_uses(repo, services)),
            check_contract_compatibility(repo, services, against),
            check_merge_conflicts(repo, services),
        )
    )
