"""docker-compose.yml gives every service its own database and role, its own NATS user with least
privilege, and bearer tokens from Keycloak's realm ``checkout``, and depends on NATS, PostgreSQL
and Keycloak only; ``mkservice new`` and ``remove`` edit it through ruamel.yaml's round trip,
keeping comments and hand edits."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from chassis.embedded_nats import nats_server_binary
from chassis.settings import ServiceSettings, load_settings
from scaffold_support import ROOT

from mkservice.generator import GenerationFailed, RegisteredService, derive_names, read_registry
from mkservice.generator import keycloak_realm as kc
from mkservice.generator.compose import register_service, unregister_services
from mkservice.generator.compose_file import (
    BASE_COMPOSE,
    NATS_CONFIG,
    NATS_CONFIG_TARGET,
    OBSERVABILITY,
    stale_blocks,
)
from mkservice.generator.env_file import required_variables
from mkservice.stack import discover_services
from mkservice.stack.nats_auth import (
    OPERATOR_USER,
    GrantError,
    NatsCredentials,
    ServiceGrant,
    default_grant,
    grants_for,
    read_grant,
    render_config,
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
def test_each_service_has_its_own_database_and_roles(service: RegisteredService) -> None:
    environment = COMPOSE["services"][service.slug]["environment"]
    url = urlsplit(database_url(service))
    init_sql = service.path / "deploy" / "postgres-init.sql"
    prefix = service.database_env.removesuffix("DATABASE_URL")
    migration = urlsplit(environment[f"{prefix}MIGRATION_DATABASE_URL"])

    assert (url.scheme, url.hostname, url.port) == ("postgresql", "postgres", 5432)
    assert url.username == service.package, "the service serves with its own runtime role"
    assert migration.username == f"{service.package}_migrator", "and migrates as its migrator"
    assert url.path == migration.path == f"/{service.package}", "its own database"
    # Both passwords come from the git-ignored .env; the init script reads the same variables.
    assert url.password == f"${{{prefix}DB_PASSWORD}}"
    assert migration.password == f"${{{prefix}MIGRATOR_DB_PASSWORD}}"
    for variable in (f"{prefix}DB_PASSWORD", f"{prefix}MIGRATOR_DB_PASSWORD"):
        assert variable in init_sql.read_text()
    mounts = COMPOSE["services"]["postgres"]["volumes"]  # an init script per service
    assert any(str(m).startswith(f"./services/{service.slug}/deploy/postgres-init.sql:/docker-"
                                 "entrypoint-initdb.d/") for m in mounts)  # fmt: skip
    revoke = rf"REVOKE\s+ALL\s+ON\s+DATABASE\s+{service.package}\s+FROM\s+PUBLIC"
    assert re.search(revoke, init_sql.read_text(), re.IGNORECASE)


def test_no_two_services_share_a_database_a_role_or_a_password() -> None:
    urls = [urlsplit(database_url(service)) for service in SERVICES]
    for part in ("username", "path", "password"):
        values = [getattr(url, part) for url in urls]
        assert len(set(values)) == len(values), f"shared {part}: {values}"


@pytest.mark.parametrize("service", SERVICES, ids=[service.slug for service in SERVICES])
def test_each_service_depends_on_nats_postgres_and_keycloak_only(
    service: RegisteredService,
) -> None:
    database_url(service)  # the block exists, or a clear message
    block = COMPOSE["services"][service.slug]

    assert block["depends_on"] == {
        "nats": {"condition": "service_healthy"},
        "postgres": {"condition": "service_healthy"},
        "keycloak": {"condition": "service_healthy"},
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


# NATS: a user per service, with the permissions its service declares.

SPECS = discover_services(ROOT)


def nats_config(compose: dict[str, Any]) -> str:
    """The nats-server config inline in a compose file, as compose hands it over (``$$`` is a
    literal ``$``)."""
    return str(compose["configs"][NATS_CONFIG]["content"]).replace("$$", "$")


def assert_nats_accepts(config: str, tmp_path: Path) -> None:
    path = tmp_path / "users.conf"
    path.write_text(config)
    completed = subprocess.run(
        [nats_server_binary(), "-t", "-c", str(path)], capture_output=True, text=True, timeout=30
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr


def nats_credentials(compose: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """Service -> (NATS user, password), from each service's compose block."""
    found = {}
    for spec in SPECS:
        environment = compose["services"][spec.name]["environment"]
        user = environment.get(spec.env_name("nats_user"))
        password = environment.get(spec.env_name("nats_password"))
        found[spec.name] = (user, password)
    return found


def test_nats_reads_the_users_config() -> None:
    nats = COMPOSE["services"]["nats"]
    command = nats["command"]

    assert command[:5] == ["-js", "-sd", "/data", "-m", "8222"]
    assert command[command.index("-c") + 1] == NATS_CONFIG_TARGET
    assert nats["configs"] == [{"source": NATS_CONFIG, "target": NATS_CONFIG_TARGET}]
    assert "content" in COMPOSE["configs"][NATS_CONFIG]


@pytest.mark.parametrize("spec", SPECS, ids=[spec.name for spec in SPECS])
def test_each_service_logs_in_to_nats_as_itself(spec: Any) -> None:
    user, password = nats_credentials(COMPOSE)[spec.name]

    assert user == spec.name, f"the {spec.name} block must set {spec.env_name('nats_user')}"
    variable = spec.env_name("nats_password")
    assert password == f"${{{variable}}}", "read from the git-ignored .env (ADR 0025)"


def test_no_two_services_share_a_nats_password() -> None:
    passwords = [password for _, password in nats_credentials(COMPOSE).values()]
    assert len(set(passwords)) == len(passwords)


def test_the_nats_users_are_the_service_blocks_with_their_declared_grants() -> None:
    config = nats_config(COMPOSE)
    users = dict(re.findall(r'\{ user: "([^"]+)", password: "([^"]+)"', config))
    credentials = nats_credentials(COMPOSE)

    assert users == {user: password for user, password in credentials.values()}
    assert OPERATOR_USER not in users
    # Exactly what the services' own .mkservice.json declare: edit a declaration, and this
    # fails until the file is rendered again.
    declared = {grant.name: grant for grant in grants_for(SPECS)}  # in the file's order:
    grants = [declared[user] for user in users]
    assert config == render_config(grants, NatsCredentials(users)), (
        "the NATS users in docker-compose.yml are not what the services declare: render them "
        "again with `mkservice nats-users` (docs/add-a-service.md)"
    )


def test_the_nats_users_config_is_valid(tmp_path: Path) -> None:
    assert_nats_accepts(nats_config(COMPOSE), tmp_path)


def test_a_service_declaring_nothing_reads_its_own_subjects(tmp_path: Path) -> None:
    assert read_grant(tmp_path / "alpha") == default_grant("alpha")  # no record at all
    (tmp_path / "beta").mkdir()
    (tmp_path / "beta" / ".mkservice.json").write_text('{"template_version": "1"}')

    assert read_grant(tmp_path / "beta") == ServiceGrant("beta", consumes=("beta.>",))


@pytest.mark.parametrize(
    "section",
    [
        ["orders"],
        {"calls": "orders"},
        {"calls": [""]},
        {"calls": ["orders.cmd"]},
        {"consumes": ["orders..evt"]},
        {"consumes": ["*.evt.>"]},  # would open every stream's consumer API
        {"publishes": ["orders.>"]},
    ],
)
def test_a_malformed_declaration_is_refused(tmp_path: Path, section: object) -> None:
    (tmp_path / ".mkservice.json").write_text(json.dumps({"nats": section}))

    with pytest.raises(GrantError, match=r"\.mkservice\.json"):
        read_grant(tmp_path, "alpha")


# The edit itself, on files written here.


def write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "docker-compose.yml").write_text(text)
    return tmp_path


def test_adds_a_block_and_an_init_script_keeping_comments(tmp_path: Path) -> None:
    text = BASE_COMPOSE.replace("volumes:\n  nats-data:", "# named volumes\nvolumes:\n  nats-data:")
    root = write(tmp_path, text)

    change = register_service(root, derive_names("order-history"), 8004)

    new = yaml.safe_load(change.new_text)
    assert new["services"]["order-history"]["environment"]["ORDER_HISTORY_DATABASE_URL"] == (
        "postgresql://order_history:${ORDER_HISTORY_DB_PASSWORD}@postgres:5432/order_history"
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
    write(tmp_path, register_service(root, derive_names("alpha"), 8001).new_text)
    write(tmp_path, register_service(root, derive_names("beta"), 8002).new_text)

    change = register_service(root, derive_names("alpha"), 8003)

    new = yaml.safe_load(change.new_text)
    assert change.replaced_stale_block
    assert new["services"]["alpha"]["ports"] == ["8003:8003"]
    assert new["services"]["beta"]["ports"] == ["8002:8002"]
    assert sum("alpha" in str(m) for m in new["services"]["postgres"]["volumes"]) == 1


def test_creates_the_file_when_there_is_none(tmp_path: Path) -> None:
    change = register_service(tmp_path, derive_names("alpha"), 8001)

    assert change.old_text is None
    services = set(yaml.safe_load(change.new_text)["services"])
    assert services == {"nats", "postgres", "keycloak", *OBSERVABILITY, "alpha"}


def test_refuses_a_file_it_cannot_edit_safely(tmp_path: Path) -> None:
    odd = BASE_COMPOSE.replace(
        "volumes:\n      - postgres-data:/var/lib/postgresql/data",
        "volumes: postgres-data:/var/lib/postgresql/data",
    )
    root = write(tmp_path, odd)

    with pytest.raises(GenerationFailed, match="volumes must be a list"):
        register_service(root, derive_names("alpha"), 8001)


def test_keeps_a_hand_written_style(tmp_path: Path) -> None:
    # Hand edits: a flow list, single quotes, end-of-line comments.
    text = (
        BASE_COMPOSE.replace(
            "volumes:\n      - postgres-data:/var/lib/postgresql/data",
            "volumes: [postgres-data:/var/lib/postgresql/data]",
        )
        .replace('"5432:5432"', "'5432:5432'  # the usual port")
        .replace("image: nats:2.10-alpine", "image: nats:2.10-alpine  # pinned")
    )
    root = write(tmp_path, text)

    change = register_service(root, derive_names("alpha"), 8001)

    mount = "./services/alpha/deploy/postgres-init.sql:/docker-entrypoint-initdb.d/01-alpha.sql:ro"
    assert f"    volumes: [postgres-data:/var/lib/postgresql/data, {mount}]\n" in change.new_text
    # Every other line is still there, as it was written.
    new_lines = change.new_text.splitlines()
    # (but the mount's line, and Prometheus's empty list of targets: it now has one)
    untouched = [
        line
        for line in text.splitlines()
        if "volumes: [" not in line and "scrape_configs" not in line
    ]
    assert [line for line in untouched if line in new_lines] == untouched


def test_unregistering_gives_back_the_file_before_registering(tmp_path: Path) -> None:
    text = BASE_COMPOSE.replace("volumes:\n  nats-data:", "# named volumes\nvolumes:\n  nats-data:")
    root = write(tmp_path, text)
    first = register_service(root, derive_names("alpha"), 8001, "alpha-pw").new_text
    write(tmp_path, first)
    write(tmp_path, register_service(root, derive_names("beta"), 8002, "beta-pw").new_text)

    assert unregister_services(root, ["beta"]).new_text == first
    assert unregister_services(root, ["alpha", "beta"]).new_text == text


def test_unregistering_takes_out_the_block_the_mount_and_the_user(tmp_path: Path) -> None:
    root = write(tmp_path, BASE_COMPOSE)
    write(tmp_path, register_service(root, derive_names("alpha"), 8001, "alpha-pw").new_text)
    write(tmp_path, register_service(root, derive_names("beta"), 8002, "beta-pw").new_text)

    change = unregister_services(root, ["alpha"])

    new = yaml.safe_load(change.new_text)
    assert set(new["services"]) == {"nats", "postgres", "keycloak", *OBSERVABILITY, "beta"}
    assert scrape_targets(new) == ["beta:8002"]
    assert not any("alpha" in str(m) for m in new["services"]["postgres"]["volumes"])
    credentials = NatsCredentials({"beta": "beta-pw"})
    assert nats_config(new) == render_config([default_grant("beta")], credentials)


def test_a_new_block_reads_its_nats_password_from_the_env_file(tmp_path: Path) -> None:
    root = write(tmp_path, BASE_COMPOSE)

    change = register_service(root, derive_names("alpha"), 8001)

    new = yaml.safe_load(change.new_text)
    reference = "${ALPHA_NATS_PASSWORD}"
    assert new["services"]["alpha"]["environment"]["ALPHA_NATS_PASSWORD"] == reference
    content = new["configs"][NATS_CONFIG]["content"]
    # Left for compose to interpolate (from .env), while the subjects' `$` stay literal.
    assert f'password: "{reference}"' in content
    assert "$${ALPHA" not in content and "$$JS.API.INFO" in content


def test_registering_gives_the_service_a_nats_user(tmp_path: Path) -> None:
    root = write(tmp_path, BASE_COMPOSE)
    write(tmp_path, register_service(root, derive_names("alpha"), 8001, "alpha-pw").new_text)
    grant = ServiceGrant("beta", calls=("alpha",), consumes=("alpha.evt.>",))

    change = register_service(root, derive_names("beta"), 8002, "beta-pw", grant)

    new = yaml.safe_load(change.new_text)
    environment = new["services"]["beta"]["environment"]
    assert (environment["BETA_NATS_USER"], environment["BETA_NATS_PASSWORD"]) == ("beta", "beta-pw")
    expected = render_config(
        [default_grant("alpha"), grant], NatsCredentials({"alpha": "alpha-pw", "beta": "beta-pw"})
    )
    assert nats_config(new) == expected
    assert "$$JS.API.INFO" in change.new_text  # compose would read a lone `$JS` as a variable


def test_reads_the_grants_of_the_other_services_from_their_records(tmp_path: Path) -> None:
    root = write(tmp_path, BASE_COMPOSE)
    write(tmp_path, register_service(root, derive_names("alpha"), 8001, "alpha-pw").new_text)
    (tmp_path / "services" / "alpha").mkdir(parents=True)
    record = {"nats": {"calls": ["beta"], "consumes": ["beta.evt.>"]}}
    (tmp_path / "services" / "alpha" / ".mkservice.json").write_text(json.dumps(record))

    change = register_service(root, derive_names("beta"), 8002, "beta-pw")

    credentials = NatsCredentials({"alpha": "alpha-pw", "beta": "beta-pw"})
    alpha = ServiceGrant("alpha", calls=("beta",), consumes=("beta.evt.>",))
    expected = render_config([alpha, default_grant("beta")], credentials)
    assert nats_config(yaml.safe_load(change.new_text)) == expected


def test_replacing_a_stale_block_replaces_its_nats_user(tmp_path: Path) -> None:
    root = write(tmp_path, BASE_COMPOSE)
    write(tmp_path, register_service(root, derive_names("alpha"), 8001, "old-pw").new_text)

    change = register_service(root, derive_names("alpha"), 8002, "new-pw")

    config = nats_config(yaml.safe_load(change.new_text))
    assert config == render_config([default_grant("alpha")], NatsCredentials({"alpha": "new-pw"}))


def test_a_block_talking_to_nats_without_a_user_is_refused(tmp_path: Path) -> None:
    root = write(tmp_path, BASE_COMPOSE)
    text = register_service(root, derive_names("alpha"), 8001, "alpha-pw").new_text
    write(tmp_path, re.sub(r"\n *ALPHA_NATS_(USER|PASSWORD):[^\n]*", "", text))

    with pytest.raises(GenerationFailed, match="ALPHA_NATS_URL but no ALPHA_NATS_USER"):
        register_service(root, derive_names("beta"), 8002)


def test_refuses_a_file_without_the_nats_users_config(tmp_path: Path) -> None:
    root = write(tmp_path, BASE_COMPOSE.split("\n# The NATS users:")[0] + "\n")

    with pytest.raises(GenerationFailed, match="configs: nats-users: content"):
        register_service(root, derive_names("alpha"), 8001)


def test_the_base_file_has_an_empty_valid_users_config(tmp_path: Path) -> None:
    base = yaml.safe_load(BASE_COMPOSE)

    assert nats_config(base) == render_config([], NatsCredentials())
    assert_nats_accepts(nats_config(base), tmp_path)


def scrape_targets(compose: dict[str, Any]) -> list[str]:
    """Every target Prometheus's config in ``compose`` scrapes."""
    config = yaml.safe_load(compose["configs"]["prometheus"]["content"])
    return [
        t for job in config["scrape_configs"] for c in job["static_configs"] for t in c["targets"]
    ]


def test_prometheus_scrapes_every_service_block_and_nothing_else(tmp_path: Path) -> None:
    root = write(tmp_path, BASE_COMPOSE)
    assert scrape_targets(yaml.safe_load(BASE_COMPOSE)) == []
    write(tmp_path, register_service(root, derive_names("alpha"), 8001, "a-pw").new_text)
    write(tmp_path, register_service(root, derive_names("beta-two"), 8002, "b-pw").new_text)

    new = yaml.safe_load((root / "docker-compose.yml").read_text())
    assert scrape_targets(new) == ["alpha:8001", "beta-two:8002"]
    for name in OBSERVABILITY:
        assert new["services"][name]["profiles"] == ["observability"]
    assert new["services"]["alpha"]["environment"]["OTEL_EXPORTER_OTLP_ENDPOINT"] == (
        "${OTEL_EXPORTER_OTLP_ENDPOINT:-}"
    )
    collector = yaml.safe_load(new["configs"]["otel-collector"]["content"])
    assert collector["service"]["pipelines"]["traces"]["receivers"] == ["otlp"]
    assert collector["exporters"]["otlphttp/jaeger"]["endpoint"] == "http://jaeger:4318"


# Keycloak: the OpenID Connect provider whose tokens every service checks.

KEYCLOAK = COMPOSE.get("services", {}).get(kc.KEYCLOAK, {})
_PLACEHOLDER = re.compile(r"\$\{([A-Z][A-Z0-9_]*)\}")


def realm_of(compose: dict[str, Any]) -> dict[str, Any]:
    """The realm Keycloak imports, as JSON, from the compose file's inline config."""
    return json.loads(compose["configs"][kc.REALM_CONFIG]["content"])


def test_keycloak_imports_the_realm_and_is_healthchecked() -> None:
    assert KEYCLOAK, "docker-compose.yml has no keycloak block"
    environment = KEYCLOAK["environment"]

    assert KEYCLOAK["image"].startswith("quay.io/keycloak/keycloak:")
    assert KEYCLOAK["command"][0] == "start-dev" and "--import-realm" in KEYCLOAK["command"]
    assert KEYCLOAK["configs"] == [{"source": kc.REALM_CONFIG, "target": kc.REALM_TARGET}]
    assert KEYCLOAK["configs"][0]["target"].startswith("/opt/keycloak/data/import/")
    assert "/health/ready" in " ".join(KEYCLOAK["healthcheck"]["test"])
    assert environment["KC_HEALTH_ENABLED"] == "true"
    # One issuer, wherever a token was fetched from: the services' AUTH_ISSUER.
    assert f"{environment['KC_HOSTNAME']}/realms/checkout" == kc.ISSUER
    # The admin's password is read from .env, never written here.
    password = environment["KC_BOOTSTRAP_ADMIN_PASSWORD"]
    assert password.startswith("${KEYCLOAK_ADMIN_PASSWORD:?")
    assert "KEYCLOAK_ADMIN_PASSWORD" in required_variables(ROOT)


def test_the_realm_grants_the_scopes_and_the_audience_the_services_check() -> None:
    realm = realm_of(COMPOSE)
    scopes = {scope["name"]: scope for scope in realm["clientScopes"]}

    assert realm["realm"] == "checkout" and realm["enabled"] is True
    for name in ("admin", "metrics"):
        assert scopes[name]["attributes"]["include.in.token.scope"] == "true"
    audiences = [
        scope["name"]
        for scope in realm["clientScopes"]
        for mapper in scope.get("protocolMappers", [])
        if mapper["protocolMapper"] == "oidc-audience-mapper"
        and mapper["config"]["included.custom.audience"] == "mkservice"
        and mapper["config"]["access.token.claim"] == "true"
    ]
    subjects = [
        scope["name"]
        for scope in realm["clientScopes"]
        for mapper in scope.get("protocolMappers", [])
        if mapper["protocolMapper"] == "oidc-sub-mapper"
    ]
    assert audiences == [kc.AUDIENCE_SCOPE] and subjects == [kc.BASIC_SCOPE]
    assert ServiceSettings.model_fields["auth_audience"].default == "mkservice"
    for client in realm["clients"]:
        # Every token is for the services (`aud`) and names its subject (`sub`).
        assert {kc.AUDIENCE_SCOPE, kc.BASIC_SCOPE} <= set(client["defaultClientScopes"])
        assert not set(client["optionalClientScopes"]) & {"admin", "metrics"}
    assert {kc.AUDIENCE_SCOPE, kc.BASIC_SCOPE} <= set(realm["defaultDefaultClientScopes"])


def test_the_realm_has_the_shop_the_operator_and_prometheus() -> None:
    clients = {client["clientId"]: client for client in realm_of(COMPOSE)["clients"]}
    shop, operator = clients["checkout-shop"], clients["checkout-operator"]
    prometheus = clients["prometheus"]

    assert set(clients) == {"checkout-shop", "checkout-operator", "prometheus"}
    assert shop["publicClient"] is True and shop["directAccessGrantsEnabled"] is True
    assert not shop["serviceAccountsEnabled"] and "secret" not in shop
    assert not {"admin", "metrics"} & set(shop["defaultClientScopes"]), "customers: no scope"
    for client, scope in ((operator, "admin"), (prometheus, "metrics")):
        assert client["publicClient"] is False and client["serviceAccountsEnabled"] is True
        assert not client["directAccessGrantsEnabled"] and not client["standardFlowEnabled"]
        assert client["clientAuthenticatorType"] == "client-secret"
        assert scope in client["defaultClientScopes"]
        assert not {"admin", "metrics"} - {scope} & set(client["defaultClientScopes"])
    [customer] = realm_of(COMPOSE)["users"]
    assert customer["username"] == "customer-1" and customer["enabled"] is True
    assert customer["id"] == kc.CUSTOMER_ID, "a fixed `sub`: the same after every import"
    assert [c["type"] for c in customer["credentials"]] == ["password"]


def test_the_realm_holds_no_secret_only_references_to_env() -> None:
    realm = realm_of(COMPOSE)
    clients = {client["clientId"]: client for client in realm["clients"]}
    [customer] = realm["users"]
    secrets = {
        "checkout-operator": clients["checkout-operator"]["secret"],
        "prometheus": clients["prometheus"]["secret"],
        "customer-1": customer["credentials"][0]["value"],
    }

    for owner, value in secrets.items():
        assert _PLACEHOLDER.fullmatch(value), f"{owner}'s secret is not a ${{...}} reference"
    assert len(set(secrets.values())) == len(secrets)
    referenced = set(_PLACEHOLDER.findall(COMPOSE_FILE.read_text().split("keycloak-realm:")[1]))
    # Each one is in .env: `mkservice secrets` writes it.
    assert referenced and referenced <= set(required_variables(ROOT))
    text = str(COMPOSE["configs"][kc.REALM_CONFIG]["content"])
    assert "$$" not in text, "compose interpolates every `${...}`: none is left to Keycloak"


@pytest.mark.parametrize("service", SERVICES, ids=[service.slug for service in SERVICES])
def test_each_service_checks_the_tokens_of_keycloak(
    service: RegisteredService, monkeypatch: pytest.MonkeyPatch
) -> None:
    environment = COMPOSE["services"][service.slug]["environment"]
    prefix = service.env_prefix
    issuer = environment[f"{prefix}AUTH_ISSUER"]
    jwks = environment[f"{prefix}AUTH_JWKS_URL"]

    assert issuer == "http://keycloak:8080/realms/checkout"
    assert jwks == f"{issuer}/protocol/openid-connect/certs"
    settings_class: type[ServiceSettings] = type(
        "Settings", (ServiceSettings,), {"service_name": service.slug}
    )
    for key, value in environment.items():
        monkeypatch.setenv(key, value)
    settings = load_settings(settings_class)
    assert (settings.auth_issuer, settings.auth_jwks_url) == (issuer, jwks)


def test_prometheus_scrapes_with_a_token_of_scope_metrics() -> None:
    config = yaml.safe_load(COMPOSE["configs"]["prometheus"]["content"])
    prometheus = COMPOSE["services"]["prometheus"]
    [secret] = prometheus["secrets"]

    assert config["scrape_configs"], "a job per service"
    for job in config["scrape_configs"]:
        assert job["oauth2"] == {
            "client_id": "prometheus",
            "client_secret_file": f"/run/secrets/{secret}",
            "token_url": "http://keycloak:8080/realms/checkout/protocol/openid-connect/token",
            "scopes": ["metrics"],
        }
    # The secret's file is fed from .env, the value the realm gives the prometheus client.
    variable = COMPOSE["secrets"][secret]["environment"]
    clients = {client["clientId"]: client for client in realm_of(COMPOSE)["clients"]}
    assert clients["prometheus"]["secret"] == f"${{{variable}}}"
    assert variable in required_variables(ROOT)
    assert prometheus["depends_on"] == {"keycloak": {"condition": "service_healthy"}}


def test_a_new_block_checks_tokens_and_the_realm_stays(tmp_path: Path) -> None:
    root = write(tmp_path, BASE_COMPOSE)
    write(tmp_path, register_service(root, derive_names("alpha"), 8001).new_text)

    change = register_service(root, derive_names("beta"), 8002)

    new = yaml.safe_load(change.new_text)
    environment = new["services"]["beta"]["environment"]
    assert environment["BETA_AUTH_ISSUER"] == kc.ISSUER
    assert environment["BETA_AUTH_JWKS_URL"] == kc.JWKS_URL
    assert new["services"]["beta"]["depends_on"]["keycloak"] == {"condition": "service_healthy"}
    assert realm_of(new) == realm_of(yaml.safe_load(BASE_COMPOSE)) == realm_of(COMPOSE)
    assert new["services"]["keycloak"] == yaml.safe_load(BASE_COMPOSE)["services"]["keycloak"]
    jobs = yaml.safe_load(new["configs"]["prometheus"]["content"])["scrape_configs"]
    assert [job["oauth2"]["scopes"] for job in jobs] == [["metrics"], ["metrics"]]


def test_the_committed_files_are_what_the_generator_renders() -> None:
    # Keycloak's block, the realm and Prometheus's secret, as mkservice writes them.
    base = yaml.safe_load(BASE_COMPOSE)
    assert COMPOSE["services"]["keycloak"] == base["services"]["keycloak"]
    assert COMPOSE["services"]["prometheus"] == base["services"]["prometheus"]
    assert COMPOSE["secrets"] == base["secrets"]
    assert realm_of(COMPOSE) == kc.realm()
