"""Check 5: no two services default to or are configured with the same database or role.

Sources are each service's config.py defaults, its .env files, a root .env and the root compose
files (see :mod:`mkservice.check.dbsources`). Passwords never reach the evidence.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from pathlib import Path

from mkservice.check.dbsources import DatabaseUse
from mkservice.check.dburls import describe_database, describe_role
from mkservice.check.pysource import relative
from mkservice.check.results import CheckResult, Finding, sorted_findings


def check_shared_databases(repo: Path, uses: Iterable[DatabaseUse]) -> CheckResult:
    """FAIL at every place that gives two or more services the same database or role."""
    uses = list(uses)
    databases = {use: use.target.database for use in uses if use.target.database is not None}
    roles = {use: use.target.role for use in uses if use.target.role is not None}
    findings = _shared(repo, databases, lambda key: describe_database(key, repo))
    findings += _shared(repo, roles, describe_role)
    return CheckResult(
        id="shared-databases",
        name="Shared database or credentials",
        symptom="shared database or credentials",
        findings=sorted_findings(findings),
    )


def _shared(
    repo: Path,
    keys: dict[DatabaseUse, tuple[str, ...]],
    describe: Callable[[tuple[str, ...]], str],
) -> list[Finding]:
    groups: dict[tuple[str, ...], list[DatabaseUse]] = defaultdict(list)
    for use, key in keys.items():
        groups[key].append(use)
    findings = []
    for key, group in groups.items():
        services = tuple(sorted({use.service for use in group}))
        if len(services) < 2:
            continue
        for use in group:
            others = ", ".join(
                f"{other.service} ({relative(repo, other.file)}:{other.line})"
                for other in group
                if other.service != use.service
            )
            findings.append(
                Finding(
                    file=relative(repo, use.file),
                    line=use.line,
                    services=services,
                    detail=f"{use.source} {use.target.shown}: same {describe(key)} as {others}",
                )
            )
    return findings
