"""Check 6, ``contract-compatibility``: do the committed AsyncAPI documents still hold for the
other side of every message (ADR 0027)?

Against a git ref (``--against``; by default the merge base with the main branch, or the last
commit when there is none), each service's own messages may change only compatibly unless the
change comes as a new major version; and across the workspace, each consumer's copied contract
must match what its owner's document says. A service without a document (one that predates
them: `mkservice contracts` writes it) is left out.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from mkservice.check.discovery import Service
from mkservice.check.results import CheckResult, Finding, sorted_findings
from mkservice.contracts.compatibility import cross_service_breaks, evolution_breaks
from mkservice.contracts.documents import DOCUMENT, load_yaml
from mkservice.git_history import base_ref, git

CHECK_ID = "contract-compatibility"


def check_contract_compatibility(
    repo: Path, services: Sequence[Service], against: str | None = None
) -> CheckResult:
    """Breaking changes since ``against`` and copies that disagree with their owner."""
    documents = {
        service.name: (service, _relative(repo, service), load_yaml(path.read_text("utf-8")))
        for service in services
        if (path := service.root / DOCUMENT).is_file()
    }
    findings = list(_evolution(repo, documents, against)) + list(_across(documents))
    return CheckResult(
        id=CHECK_ID,
        name="Contract compatibility",
        symptom="breaking contract changes",
        findings=sorted_findings(findings),
    )


class UnknownRef(ValueError):
    """``--against`` names nothing git knows."""


def _evolution(
    repo: Path, documents: dict[str, tuple[Service, str, Any]], against: str | None
) -> Iterator[Finding]:
    ref = base_ref(repo, against)
    if ref is None:
        if against is not None:
            raise UnknownRef(f"git knows no commit {against!r}")
        return
    for name, (_service, relative, document) in documents.items():
        old_text = git(repo, "show", f"{ref}:./{relative}")
        if not old_text:
            continue  # the service, or its document, is new since then
        for found in evolution_breaks(name, load_yaml(old_text), document):
            detail = f"{found.detail} (against {ref[:12]}); publish it as a new version instead"
            yield Finding(relative, found.line, (name,), detail)


def _across(documents: dict[str, tuple[Service, str, Any]]) -> Iterator[Finding]:
    for consumer, (_service, relative, document) in documents.items():
        for owner, (_owner_service, owner_relative, owner_document) in documents.items():
            if owner == consumer:
                continue
            for found in cross_service_breaks(consumer, document, owner, owner_document):
                detail = f"{found.detail} (the owner's document: {owner_relative})"
                yield Finding(relative, found.line, (consumer, owner), detail)


def _relative(repo: Path, service: Service) -> str:
    return (service.root / DOCUMENT).resolve().relative_to(repo.resolve()).as_posix()
