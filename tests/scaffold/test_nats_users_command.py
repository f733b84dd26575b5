"""``mkservice nats-users``: after a service's ``nats`` section changes, docker-compose.yml's
users are rendered again from every declaration; a compose file it cannot use is left alone."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from scaffold_support import SERVICES, mkservice, snapshot


def _declare(repo: Path, service: str, **nats: list[str]) -> None:
    record = repo / "services" / service / ".mkservice.json"
    data = json.loads(record.read_text(encoding="utf-8"))
    data["nats"] = {**data["nats"], **nats}
    record.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def _user_block(compose: Path, user: str) -> str:
    """The text of ``user``'s entry in the compose file's NATS users: up to the next user."""
    text = compose.read_text(encoding="utf-8")
    start = text.index(f'{{ user: "{user}"')
    end = text.find("{ user:", start + 1)
    return text[start : end if end != -1 else len(text)]


@pytest.mark.skipif(not SERVICES, reason="the workspace has no service yet")
def test_a_changed_declaration_reaches_the_compose_users(repo: Path) -> None:
    compose = repo / "docker-compose.yml"
    changed, *others = [service.slug for service in SERVICES]
    assert mkservice(repo, "nats-users", "--check").returncode == 0
    _declare(repo, changed, consumes=[f"{changed}.>", "elsewhere.evt.>"])

    stale = mkservice(repo, "nats-users", "--check")
    assert stale.returncode == 1 and "out of date" in stale.stdout
    assert '"elsewhere.evt.>"' not in _user_block(compose, changed)

    rendered = mkservice(repo, "nats-users")
    assert rendered.returncode == 0, rendered.stderr
    assert '"elsewhere.evt.>"' in _user_block(compose, changed)
    for other in others:
        assert '"elsewhere.evt.>"' not in _user_block(compose, other)
    assert mkservice(repo, "nats-users", "--check").returncode == 0


def test_a_compose_file_without_the_users_block_is_refused_and_left_alone(repo: Path) -> None:
    compose = repo / "docker-compose.yml"
    compose.write_text(compose.read_text(encoding="utf-8").replace("nats-users:", "nats-who:"))
    before = snapshot(repo)

    refused = mkservice(repo, "nats-users")

    assert refused.returncode == 2
    assert refused.stderr.strip().startswith("docker-compose.yml was left as it was:")
    assert len(refused.stderr.strip().splitlines()) == 1
    assert snapshot(repo) == before
