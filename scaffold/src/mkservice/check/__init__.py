"""``mkservice check``: find the signs of a distributed monolith in a workspace.

The static checks read source, migrations and configuration without running anything:

1. shared tables: every table is defined by exactly one service;
2. schema coupling: a service's migrations touch only its own tables;
3. cross-service queries: a service's SQL names only its own tables;
4. interface coupling: no service imports another service's package;
5. shared databases: no two services use the same database, SQLite file or role;
6. contract compatibility: a service's committed AsyncAPI document changed only compatibly
   since a git ref, and every consumer's copied contract matches its owner's;
7. merge conflicts: no file of a service still holds git conflict markers (left by
   ``mkservice upgrade`` or a merge).
"""

from chassis.workspace import find_workspace_root

from mkservice.check.discovery import Service, discover_services
from mkservice.check.report import render_report, report_json
from mkservice.check.results import CheckResult, Finding, Report
from mkservice.check.runner import run_static_checks

__all__ = [
    "CheckResult",
    "Finding",
    "Report",
    "Service",
    "discover_services",
    "find_workspace_root",
    "render_report",
    "report_json",
    "run_static_checks",
]
