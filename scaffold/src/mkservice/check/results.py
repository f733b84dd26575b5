"""What a boundary check found: findings, one result per check, and the whole report."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Finding:
    """One piece of evidence: where (repo-relative file and line), who, and what."""

    file: str
    line: int
    services: tuple[str, ...]
    detail: str

    def to_dict(self) -> dict[str, Any]:
        """The finding as plain JSON-ready data."""
        return {
            "file": self.file,
            "line": self.line,
            "services": list(self.services),
            "detail": self.detail,
        }


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one check; it passes when it found nothing."""

    id: str
    name: str
    symptom: str
    findings: tuple[Finding, ...] = field(default=())

    @property
    def passed(self) -> bool:
        return not self.findings

    def to_dict(self) -> dict[str, Any]:
        """The result as plain JSON-ready data."""
        return {
            "id": self.id,
            "name": self.name,
            "symptom": self.symptom,
            "passed": self.passed,
            "findings": [finding.to_dict() for finding in self.findings],
        }


@dataclass(frozen=True)
class Report:
    """Every check that ran, in order."""

    checks: tuple[CheckResult, ...]

    @property
    def ok(self) -> bool:
        return all(check.passed for check in self.checks)

    def check(self, check_id: str) -> CheckResult:
        """The result of the check called ``check_id``."""
        for result in self.checks:
            if result.id == check_id:
                return result
        raise KeyError(check_id)

    def to_dict(self) -> dict[str, Any]:
        """The report as the object ``mkservice check --json`` prints."""
        return {"ok": self.ok, "checks": [check.to_dict() for check in self.checks]}


def sorted_findings(findings: list[Finding]) -> tuple[Finding, ...]:
    """Findings in a stable order (file, line, detail), duplicates dropped."""
    return tuple(sorted(set(findings), key=lambda f: (f.file, f.line, f.detail, f.services)))
