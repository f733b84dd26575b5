"""docker-compose.yml gives every service its own database and role, and depends on NATS and
PostgreSQL only; ``mkservice new`` edits it as text, keeping comments."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml
from scaffold_support import ROOT

from mkservice.generator import GenerationFailed, RegisteredService, derive_names, read_registry
from mkservice.generator.compose import (
    BASE_COMPOSE,
    read_init_password,
    register_service,
    stale_blocks,
)

SERVICES = read_registry(ROOT)
COMPOSE_FILE = ROOT / "docker-compose.yml"
COMPOSE = yaml.safe_load(COMPOSE_FILE.read_text()) if COMPOSE_FILE.is_file() else {}


def test_the_workspace_has_a_compose_file() -> None:
    assert COMPOSE.get("services"), "docker-compose.yml is missing or has no services"


def database_url(service: RegisteredService) -> str:
    block = COMPOSE.get("services", {}).get(service.slug)
    assert block is not None, (
        f"services/{service.slug} has no block in docker-compose.yml: add one (mkservice new "
        "writes it) or remove the folder."
    )
    url = block.get("environment", {}).get(service.database_env)
    assert url, f"the {service.slug} block does not set {service.database_env}"
    return str(url)


def test_every_compose_block_of_a_service_has_its_folder() -> None:
    assert stale_blocks(ROOT) == []


@pytest.mark.parametrize("service", SERVICES, ids=[service.slug for service in SERVICES])
def test_each_service_has_its_own_database_and_role(service: RegisteredService) -> None:
    url = urlsplit(database_url(service))
    init_sql = service.path / "deploy" / "postgres-init.sql"

    assert (url.scheme, url.hostname, url.port) == ("postgresql", "postgres", 5432)
    assert url.username == service.package, "the service logs in with its own role"
    assert url.path == f"/{service.package}", "the service uses its own database"
    assert url.password == read_init_password(init_sql)
    mounts = COMPOSE["services"]["postgres"]["volumes"]  # an init script per service
    assert any(str(m).startswith(f"./services/{service.slug}/deploy/postgres-init.sql:/docker-"
                                 "entrypoint-initdb.d/") for m in mounts)  # fmt: skip
    revoke = rf"REVOKE\s+CONNECT\s+ON\s+DATABASE\s+{service.package}\s+FROM\s+PUBLIC"
    assert re.search(revoke, init_sql.read_text(), re.IGNORECASE)


def test_no_two_services_share_a_database_a_role_or_a_password() -> None:
    urls = [urlsplit(database_url(service)) for service in SERVICES]
    for part in ("username", "path", "password"):
        values = [getattr(url, part) for url in urls]
        assert len(set(values)) == len(values), f"shared {part}: {values}"


@pytest.mark.parametrize("service", SERVICES, ids=[service.slug for service in SERVICES])
def test_each_service_depends_on_nats_and_postgres_only(service: RegisteredService) -> None:
    database_url(service)  # the block exists, or a clear message
    block = COMPOSE["services"][service.slug]

    assert block["depends_on"] == {
        "nats": {"condition": "service_healthy"},
        "postgres": {"condition": "service_healthy"},
    }
    assert block["build"] == {"context": ".", "dockerfile": f"services/{service.slug}/Dockerfile"}
    assert block["ports"] == [f"{service.port}:{service.port}"]


def test_the_infrastructure_is_healthchecked() -> None:
    assert COMPOSE, "docker-compose.yml is missing"
    nats, postgres = COMPOSE["services"]["nats"], COMPOSE["services"]["postgres"]

    assert nats["image"] == "nats:2.10-alpine"
    assert postgres["image"] == "postgres:16-alpine"
    assert "healthcheck" in nats and "healthcheck" in postgres
    assert set(postgres["environment"]) == {"POSTGRES_PASSWORD"}
    assert "sync_interval: always" in COMPOSE_FILE.read_text()


# The text edit itself, on files written here.


def write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "docker-compose.yml").write_text(text)
    return tmp_path


def test_adds_a_block_and_an_init_script_keeping_comments(tmp_path: Path) -> None:
    text = BASE_COMPOSE.replace("volumes:\n  nats-data:", "# named volumes\nvolumes:\n  nats-data:")
    root = write(tmp_path, text)

    change = register_service(root, derive_names("order-history"), 8004, "secret")

    new = yaml.safe_load(change.new_text)
    assert new["services"]["order-history"]["environment"]["ORDER_HISTORY_DATABASE_URL"] == (
        "postgresql://order_history:secret@postgres:5432/order_history"
    )
    assert new["services"]["postgres"]["volumes"][-1] == (
        "./services/order-history/deploy/postgres-init.sql:"
        "/docker-entrypoint-initdb.d/01-order-history.sql:ro"
    )
    assert change.new_text.count("#") == text.count("#")
    # The new block ends the services section: before the comment that heads `volumes:`.
    assert change.new_text.index("order-history:") < change.new_text.index("# named volumes")


def test_numbers_init_scripts_after_the_last(tmp_path: Path) -> None:
    root = write(tmp_path, BASE_COMPOSE)
    for number, slug in enumerate(("alpha", "beta"), start=1):
        change = register_service(root, derive_names(slug), 8000 + number, "pw")
        write(tmp_path, change.new_text)

    assert change.init_script == "02-beta.sql"


def test_replaces_a_stale_block_of_the_same_name(tmp_path: Path) -> None:
    root = write(tmp_path, BASE_COMPOSE)
    write(tmp_path, register_service(root, derive_names("alpha"), 8001, "old").new_text)
    write(tmp_path, register_service(root, derive_names("beta"), 8002, "pw").new_text)

    change = register_service(root, derive_names("alpha"), 8003, "new")

    new = yaml.safe_load(change.new_text)
    assert change.replaced_stale_block
    assert new["services"]["alpha"]["ports"] == ["8003:8003"]
    assert new["services"]["beta"]["ports"] == ["8002:8002"]
    assert sum("alpha" in str(m) for m in new["services"]["postgres"]["volumes"]) == 1


def test_creates_the_file_when_there_is_none(tmp_path: Path) -> None:
    change = register_service(tmp_path, derive_names("alpha"), 8001, "pw")

    assert change.old_text is None
    assert set(yaml.safe_load(change.new_text)["services"]) == {"nats", "postgres", "alpha"}


def test_refuses_a_file_it_cannot_edit_safely(tmp_path: Path) -> None:
    flow = BASE_COMPOSE.replace(
        "volumes:\n      - postgres-data:/var/lib/postgresql/data",
        "volumes: [postgres-data:/var/lib/postgresql/data]",
    )
    root = write(tmp_path, flow)

    with pytest.raises(GenerationFailed, match="must be a block list"):
        register_service(root, derive_names("alpha"), 8001, "pw")
