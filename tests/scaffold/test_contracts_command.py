"""``mkservice contracts``: every service's AsyncAPI document written from its contracts
module; ``--check`` finds a stale one; a bad name or a contracts module that does not load
writes nothing. And ``mkservice check`` fails a breaking change to a committed document."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from scaffold_support import SERVICES, mkservice, snapshot

DOCUMENT = Path("contracts") / "asyncapi.yaml"
pytestmark = pytest.mark.skipif(not SERVICES, reason="the workspace has no service yet")


def _contracts(repo: Path, slug: str) -> Path:
    package = next(s.package for s in SERVICES if s.slug == slug)
    return repo / "services" / slug / "src" / package / "messaging" / "contracts.py"


def test_the_committed_documents_are_current(repo: Path) -> None:
    checked = mkservice(repo, "contracts", "--check")
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_a_changed_contract_makes_its_document_stale_until_it_is_written(repo: Path) -> None:
    slug = SERVICES[0].slug
    document = repo / "services" / slug / DOCUMENT
    before = document.read_text(encoding="utf-8")
    contracts = _contracts(repo, slug)
    contracts.write_text(
        contracts.read_text(encoding="utf-8")
        + "\n\nclass PlantedV1(BaseModel):\n    planted_field: str\n\n\n"
        + f'PLANTED = Contract("{slug}.evt.planted", "{slug}.planted", PlantedV1)\n',
        encoding="utf-8",
    )
    stale = mkservice(repo, "contracts", "--check")
    assert stale.returncode == 1 and f"services/{slug}/{DOCUMENT}" in stale.stdout
    assert document.read_text(encoding="utf-8") == before  # --check writes nothing

    written = mkservice(repo, "contracts", slug)
    assert written.returncode == 0, written.stderr
    text = document.read_text(encoding="utf-8")
    assert f"address: {slug}.evt.planted" in text and "planted_field" in text
    assert mkservice(repo, "contracts", "--check").returncode == 0


def test_an_unknown_service_or_a_broken_module_writes_nothing(repo: Path) -> None:
    before = snapshot(repo / "services")
    unknown = mkservice(repo, "contracts", "no-such-service")
    assert unknown.returncode == 2
    assert unknown.stderr.strip() == (
        "there is no service 'no-such-service' under services/ (`mkservice list` shows them)."
    )
    slug = SERVICES[-1].slug
    contracts = _contracts(repo, slug)
    contracts.write_text(contracts.read_text(encoding="utf-8") + "\nraise SystemError\n")
    broken = mkservice(repo, "contracts")
    assert broken.returncode == 2 and "does not load" in broken.stderr
    contracts.write_text(contracts.read_text(encoding="utf-8").replace("\nraise SystemError\n", ""))
    assert snapshot(repo / "services") == before


def test_check_fails_a_removed_message_of_a_committed_document(repo: Path) -> None:
    # The reference services' documents are committed: remove one of their messages.
    slug = next(s.slug for s in SERVICES if (repo / "services" / s.slug / DOCUMENT).is_file())
    document = repo / "services" / slug / DOCUMENT
    subprocess_git(repo, "init", "-q", "-b", "main")
    subprocess_git(repo, "add", "-A")
    subprocess_git(repo, "-c", "user.email=t@t.invalid", "-c", "user.name=t", "commit", "-qm", "x")
    assert mkservice(repo, "check").returncode == 0
    text = document.read_text(encoding="utf-8")
    document.write_text(text.replace("x-version: 1", "x-version: 0", 1), encoding="utf-8")
    failed = mkservice(repo, "check", "--json")
    assert failed.returncode == 1
    assert "was removed without a newer version" in failed.stdout


def subprocess_git(repo: Path, *args: str) -> None:
    done = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
