"""Check 6, contract-compatibility, on planted changes in real (temporary) git repositories.

Each case commits a service's AsyncAPI document, changes its contracts, writes the document
again and runs the check against the commit, as `mkservice check` does in CI.
"""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import pytest
from chassis import Contract
from chassis.asyncapi import asyncapi_document
from pydantic import BaseModel

from mkservice.check.contracts import UnknownRef, check_contract_compatibility
from mkservice.check.discovery import Service
from mkservice.check.results import CheckResult
from mkservice.contracts.documents import DOCUMENT, render_yaml


# --- shop's contracts, as they are first committed ------------------------------------------
class ShelvedV1(BaseModel):
    item_id: str
    count: int
    colour: Literal["red", "blue"]


class RestockV1(BaseModel):
    item_id: str
    amount: float
    channel: Literal["web", "store"] = "web"


SHELVED = Contract("shop.evt.shelved", "shop.shelved", ShelvedV1)
RESTOCK = Contract("shop.cmd.restock", "shop.restock", RestockV1)
SHOP = [SHELVED, RESTOCK]


def shelved(model: type[BaseModel], version: int = 1) -> Contract[Any]:
    return Contract("shop.evt.shelved", "shop.shelved", model, version)


def restock(model: type[BaseModel]) -> Contract[Any]:
    return Contract("shop.cmd.restock", "shop.restock", model)


class Repo:
    """A git repository with services/<name>/contracts/asyncapi.yaml files."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.git("init", "-q", "-b", "main")
        self.git("config", "user.email", "t@example.invalid")
        self.git("config", "user.name", "t")

    def git(self, *args: str) -> str:
        done = subprocess.run(["git", *args], cwd=self.root, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        return done.stdout

    def document(self, service: str, contracts: Sequence[Contract[Any]]) -> Path:
        path = self.root / "services" / service / DOCUMENT
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render_yaml(asyncapi_document(service, contracts)), encoding="utf-8")
        return path

    def commit(self) -> None:
        self.git("add", "-A")
        self.git("commit", "-q", "-m", "contracts")

    def check(self, *names: str, against: str | None = None) -> CheckResult:
        services = [Service(n, n, self.root / "services" / n) for n in names]
        return check_contract_compatibility(self.root, services, against)


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    repo = Repo(tmp_path)
    repo.document("shop", SHOP)
    repo.commit()
    return repo


def details(result: CheckResult) -> str:
    return "\n".join(f"{f.file}:{f.line} {f.detail}" for f in result.findings)


def line_of(result: CheckResult, repo: Repo) -> str:
    """The text of the first finding's line in its file."""
    finding = result.findings[0]
    return (repo.root / finding.file).read_text().splitlines()[finding.line - 1]


# --- a service's own messages, against the commit ---------------------------------------------
def test_an_unchanged_document_and_additive_changes_pass(repo: Repo) -> None:
    assert repo.check("shop").passed

    class ShelvedMore(ShelvedV1):
        shelf: str  # a new field in what it sends: readers ignore it

    class RestockMore(RestockV1):
        note: str | None = None  # a new optional field in what it accepts

    repo.document("shop", [shelved(ShelvedMore), restock(RestockMore)])
    assert repo.check("shop").passed, details(repo.check("shop"))


def test_a_removed_message_type_fails(repo: Repo) -> None:
    repo.document("shop", [RESTOCK])
    result = repo.check("shop")
    assert "shop.shelved v1 was removed without a newer version" in details(result)
    assert result.findings[0].file == "services/shop/contracts/asyncapi.yaml"


def test_a_removed_field_of_an_event_fails_at_its_line(repo: Repo) -> None:
    class Shelved(BaseModel):
        item_id: str
        colour: Literal["red", "blue"]

    repo.document("shop", [shelved(Shelved), RESTOCK])
    result = repo.check("shop")
    assert "shop.shelved v1: data.count: field removed" in details(result)
    assert "ShelvedV1" in line_of(result, repo) or "Shelved" in line_of(result, repo)


def test_a_renamed_field_fails_and_says_what_it_became(repo: Repo) -> None:
    class Shelved(BaseModel):
        item_id: str
        quantity: int
        colour: Literal["red", "blue"]

    repo.document("shop", [shelved(Shelved), RESTOCK])
    assert "data.count: field removed (renamed to 'quantity'?)" in details(repo.check("shop"))


def test_a_narrowed_type_of_a_command_fails(repo: Repo) -> None:
    class Restock(BaseModel):
        item_id: str
        amount: int  # was a float: senders' 2.5 is refused
        channel: Literal["web", "store"] = "web"

    repo.document("shop", [SHELVED, restock(Restock)])
    result = repo.check("shop")
    assert "shop.restock v1: data.amount narrowed: it may be number" in details(result)
    assert "amount" in line_of(result, repo)


def test_a_new_required_field_of_a_command_fails(repo: Repo) -> None:
    class Restock(RestockV1):
        warehouse: str

    repo.document("shop", [SHELVED, restock(Restock)])
    assert "shop.restock v1: data.warehouse: a new required field" in details(repo.check("shop"))


def test_a_removed_enum_value_fails(repo: Repo) -> None:
    class Restock(BaseModel):
        item_id: str
        amount: float
        channel: Literal["web"] = "web"

    repo.document("shop", [SHELVED, restock(Restock)])
    assert "data.channel: enum value 'store' is refused" in details(repo.check("shop"))


def test_a_breaking_change_as_a_new_major_version_passes(repo: Repo) -> None:
    class ShelvedV2(BaseModel):
        item_id: str
        quantity: int

    # v1 goes on being published while its consumers move to v2; then v1 is retired.
    repo.document("shop", [SHELVED, shelved(ShelvedV2, version=2), RESTOCK])
    assert repo.check("shop").passed
    repo.commit()
    repo.document("shop", [shelved(ShelvedV2, version=2), RESTOCK])
    assert repo.check("shop").passed, details(repo.check("shop"))


def test_the_ref_is_the_merge_base_with_main_by_default(repo: Repo) -> None:
    repo.git("checkout", "-q", "-b", "feature")
    repo.document("shop", [RESTOCK])
    repo.commit()  # committed on the branch: still compared with main
    assert not repo.check("shop").passed
    assert repo.check("shop", against="HEAD").passed
    with pytest.raises(UnknownRef):
        repo.check("shop", against="no-such-ref")


# --- copies against their owner ----------------------------------------------------------------
class ShelvedCopy(BaseModel):
    item_id: str
    count: int


class RestockCopy(BaseModel):
    item_id: str
    amount: float


def test_copies_that_match_their_owner_pass(repo: Repo) -> None:
    repo.document("till", [shelved(ShelvedCopy), restock(RestockCopy)])
    assert repo.check("shop", "till").passed, details(repo.check("shop", "till"))


def test_a_copy_that_requires_what_the_owner_does_not_send_fails_naming_both_files(
    repo: Repo,
) -> None:
    class Shelved(ShelvedCopy):
        aisle: str

    repo.document("till", [shelved(Shelved)])
    result = repo.check("shop", "till")
    finding = result.findings[0]
    assert finding.file == "services/till/contracts/asyncapi.yaml"
    assert finding.services == ("till", "shop")
    assert "data.aisle: required by this copy, never sent by shop" in finding.detail
    assert "services/shop/contracts/asyncapi.yaml" in finding.detail
    assert "aisle" in line_of(result, repo)


def test_a_copy_of_a_version_the_owner_no_longer_publishes_fails(repo: Repo) -> None:
    repo.document("till", [shelved(ShelvedCopy, version=2)])
    result = repo.check("shop", "till")
    assert "till receives shop.shelved v2, which shop no longer publishes" in details(result)


def test_a_command_copy_without_a_field_the_owner_requires_fails(repo: Repo) -> None:
    class Restock(BaseModel):
        item_id: str

    repo.document("till", [restock(Restock)])
    result = repo.check("shop", "till")
    assert "data.amount: required by shop, missing from this copy" in details(result)


def test_a_copy_reading_a_narrower_type_than_the_owner_sends_fails(repo: Repo) -> None:
    class Shelved(BaseModel):
        item_id: str
        colour: Literal["red"]  # the owner also sends "blue"

    repo.document("till", [shelved(Shelved)])
    assert "data.colour: enum value 'blue' is refused" in details(repo.check("shop", "till"))
