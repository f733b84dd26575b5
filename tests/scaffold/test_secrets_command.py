"""``mkservice secrets``: the git-ignored .env gets a random password for every variable compose
and the init scripts read, from the services found, and Keycloak's (its admin's, the client
secrets, the demo customer's); what is there already is kept."""

from __future__ import annotations

import re
import shutil
import stat
from pathlib import Path

import pytest
from scaffold_support import SERVICES, mkservice, mkservice_json, snapshot

from mkservice.generator.env_file import defined_variables, required_variables, service_variables
from mkservice.generator.keycloak_realm import VARIABLES as KEYCLOAK_VARIABLES

pytestmark = pytest.mark.skipif(not SERVICES, reason="the workspace has no service yet")


def _env(repo: Path) -> dict[str, str]:
    return defined_variables((repo / ".env").read_text(encoding="utf-8"))


def test_writes_a_random_password_for_every_variable_of_every_service(repo: Path) -> None:
    completed = mkservice(repo, "secrets")

    assert completed.returncode == 0, completed.stderr
    env = _env(repo)
    assert list(env) == required_variables(repo)
    assert "POSTGRES_PASSWORD" in env
    assert set(KEYCLOAK_VARIABLES) <= set(env)
    for service in SERVICES:
        for variable in service_variables(service.name):
            assert variable.startswith(service.env_prefix) and variable in env
    assert len(set(env.values())) == len(env), "no two share a password"
    # Safe unquoted in a database URL, the nats-server config and psql.
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{24,}", value) for value in env.values())
    assert stat.S_IMODE((repo / ".env").stat().st_mode) == 0o600


def test_a_second_run_changes_nothing_and_says_so(repo: Path) -> None:
    assert mkservice(repo, "secrets").returncode == 0
    before = snapshot(repo)

    again = mkservice(repo, "secrets")

    assert again.returncode == 0, again.stderr
    assert "nothing changed" in again.stdout
    assert snapshot(repo) == before


def test_keeps_existing_values_and_other_lines_and_adds_what_is_missing(repo: Path) -> None:
    kept = "# mine\nexport OTHER=1\nPOSTGRES_PASSWORD=chosen-by-hand\n\n"
    (repo / ".env").write_text(kept, encoding="utf-8")

    completed = mkservice(repo, "secrets")

    assert completed.returncode == 0, completed.stderr
    text = (repo / ".env").read_text(encoding="utf-8")
    assert text.startswith(kept), "only appended to"
    env = _env(repo)
    assert env["POSTGRES_PASSWORD"] == "chosen-by-hand" and env["OTHER"] == "1"
    assert set(required_variables(repo)) <= set(env)
    assert "POSTGRES_PASSWORD" not in completed.stdout.split("added")[1]


def test_check_lists_what_is_missing_and_writes_nothing(repo: Path) -> None:
    (repo / ".env").write_text("POSTGRES_PASSWORD=x\n", encoding="utf-8")
    before = snapshot(repo)

    completed = mkservice(repo, "secrets", "--check")

    assert completed.returncode == 1
    for variable in required_variables(repo)[1:]:
        assert variable in completed.stdout
    assert snapshot(repo) == before
    assert mkservice(repo, "secrets").returncode == 0
    assert mkservice(repo, "secrets", "--check").returncode == 0


def test_check_without_an_env_file_creates_none(repo: Path) -> None:
    completed = mkservice(repo, "secrets", "--check")

    assert completed.returncode == 1
    assert "POSTGRES_PASSWORD" in completed.stdout
    assert not (repo / ".env").exists()


def test_an_env_file_it_cannot_read_is_refused_and_left_alone(repo: Path) -> None:
    (repo / ".env").write_text("POSTGRES_PASSWORD=x\nthis is not an assignment\n")
    before = snapshot(repo)

    completed = mkservice(repo, "secrets")

    assert completed.returncode == 2
    assert completed.stderr.strip().count("\n") == 0, "one sentence"
    assert "line 2" in completed.stderr
    assert snapshot(repo) == before


def test_a_removed_service_is_no_longer_required(repo: Path) -> None:
    gone = SERVICES[-1]
    assert mkservice(repo, "secrets").returncode == 0
    # As `mkservice remove` ends: the folder gone, so discovery no longer finds the service.
    shutil.rmtree(repo / "services" / gone.slug)

    assert not set(service_variables(gone.name)) & set(required_variables(repo))
    assert mkservice(repo, "secrets", "--check").returncode == 0


def test_new_extends_an_existing_env_file_with_the_new_service(repo: Path) -> None:
    assert mkservice(repo, "secrets").returncode == 0
    before = (repo / ".env").read_text(encoding="utf-8")

    summary = mkservice_json(repo, "new", "zz-probe-secrets", "--no-install")

    text = (repo / ".env").read_text(encoding="utf-8")
    assert text.startswith(before), "the others keep their passwords"
    added = service_variables("zz-probe-secrets")
    assert list(defined_variables(text[len(before) :])) == added
    assert f".env: added {', '.join(added)}" in summary["notes"]
    assert stat.S_IMODE((repo / ".env").stat().st_mode) == 0o600
    assert mkservice(repo, "secrets", "--check").returncode == 0


def test_writes_keycloaks_secrets_every_reference_of_the_compose_files_reads(repo: Path) -> None:
    assert mkservice(repo, "secrets").returncode == 0

    env = _env(repo)
    assert list(KEYCLOAK_VARIABLES) == [
        "KEYCLOAK_ADMIN_PASSWORD",
        "KEYCLOAK_OPERATOR_CLIENT_SECRET",
        "KEYCLOAK_PROMETHEUS_CLIENT_SECRET",
        "KEYCLOAK_CUSTOMER_PASSWORD",
    ]
    for name in ("docker-compose.yml", "docker-compose.cluster.yml"):
        text = (repo / name).read_text(encoding="utf-8").replace("$$", "")
        referenced = set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)[}:]", text))
        referenced |= set(re.findall(r"environment: ([A-Z][A-Z0-9_]*)\n", text))  # secrets
        referenced.discard("OTEL_EXPORTER_OTLP_ENDPOINT")  # optional, from the shell
        assert referenced <= set(env), f"{name} reads variables .env lacks"
        assert set(KEYCLOAK_VARIABLES) <= referenced
    before = snapshot(repo)
    assert mkservice(repo, "secrets").returncode == 0
    assert snapshot(repo) == before, "a second run keeps Keycloak's secrets"
