"""Check 2: a service's migrations create, alter or drop only its own tables."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from mkservice.check.migrations import TableTouch
from mkservice.check.ownership import TableOwnership
from mkservice.check.pysource import relative
from mkservice.check.results import CheckResult, Finding, sorted_findings


def check_schema_coupling(
    repo: Path, touches: Iterable[TableTouch], ownership: TableOwnership
) -> CheckResult:
    """FAIL for each migration statement that touches a table the service does not own.

    A table is the service's own when its source defines it, when no service defines it but the
    service's own migrations create it, or when it is a chassis or Alembic table.
    """
    findings = [
        _finding(repo, touch, ownership)
        for touch in touches
        if not ownership.owns(touch.service, touch.table)
    ]
    return CheckResult(
        id="schema-coupling",
        name="Schema coupling",
        symptom="schema coupling",
        findings=sorted_findings(findings),
    )


def _finding(repo: Path, touch: TableTouch, ownership: TableOwnership) -> Finding:
    owners = sorted(ownership.owners(touch.table))
    if owners:
        whose = f"owned by {', '.join(owners)}"
    else:
        whose = f"defined by no service and not created by {touch.service}'s own migrations"
    return Finding(
        file=relative(repo, touch.file),
        line=touch.line,
        services=(touch.service, *owners),
        detail=f"{touch.operation} touches table {touch.table}, {whose}",
    )
