"""docker-compose.cluster.yml, the production shape of the stack: three NATS nodes with routes
between them and streams of three replicas, each service's migration run once, then two
replicas of it; the same databases and NATS users as docker-compose.yml. ``mkservice new``,
``remove`` and ``nats-users`` keep it in step with docker-compose.yml.

No Docker engine here: the files are parsed, and every NATS config is checked with
``nats-server -t``."""

from __future__ import annotations

import asyncio
import re
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import nats
import pytest
import yaml
from chassis.embedded_nats import free_port, nats_server_binary
from chassis.settings import ServiceSettings, load_settings
from nats.js.api import StreamInfo
from scaffold_support import ROOT, SERVICES, mkservice

from mkservice.generator import GenerationFailed, Refused, RegisteredService, derive_names
from mkservice.generator.compose import register_service
from mkservice.generator.compose_cluster import (
    BASE_CLUSTER_COMPOSE,
    CLUSTER_FILE,
    NATS_NODES,
    NODE_CONFIG_TARGET,
    cluster_entries,
    migrate_block,
    node_config,
    register_in_cluster,
    unregister_from_cluster,
)
from mkservice.generator.compose_file import NATS_CONFIG, NATS_CONFIG_TARGET, OBSERVABILITY
from mkservice.generator.keycloak_realm import ISSUER, JWKS_URL, KEYCLOAK, REALM_CONFIG
from mkservice.stack.nats_auth import NatsCredentials, default_grant, render_config

CLUSTER_PATH = ROOT / CLUSTER_FILE
CLUSTER = yaml.safe_load(CLUSTER_PATH.read_text()) if CLUSTER_PATH.is_file() else {}
SINGLE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
ids = [service.slug for service in SERVICES]


def test_the_workspace_has_a_cluster_file() -> None:
    assert CLUSTER.get("services"), f"{CLUSTER_FILE} is missing or has no services"


def configs_of(compose: dict[str, Any]) -> dict[str, str]:
    """Each config inline in a compose file, as compose hands it over (``$$`` is a ``$``)."""
    return {
        name: str(config["content"]).replace("$$", "$")
        for name, config in compose["configs"].items()
    }


def assert_nats_accepts(compose: dict[str, Any], node: str, folder: Path) -> None:
    """``node``'s config, in a folder laid out as its container's /etc/nats, passes ``-t``."""
    configs = configs_of(compose)
    mounts = {m["target"]: m["source"] for m in compose["services"][node]["configs"]}
    for target, source in mounts.items():
        (folder / Path(target).name).write_text(configs[source])
    config = folder / Path(NODE_CONFIG_TARGET).name
    completed = subprocess.run(
        [nats_server_binary(), "-t", "-c", str(config)], capture_output=True, text=True, timeout=30
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr


# The NATS cluster.


@pytest.mark.parametrize("node", NATS_NODES)
def test_every_nats_config_of_the_cluster_is_valid(node: str, tmp_path: Path) -> None:
    assert_nats_accepts(CLUSTER, node, tmp_path)


def test_three_nats_nodes_with_routes_unique_names_and_their_own_stores() -> None:
    configs = configs_of(CLUSTER)
    services = CLUSTER["services"]
    names, stores = [], []
    for node in NATS_NODES:
        block = services[node]
        config = configs[node]
        assert block["command"] == ["-c", NODE_CONFIG_TARGET]
        assert block["configs"] == [
            {"source": node, "target": NODE_CONFIG_TARGET},
            {"source": NATS_CONFIG, "target": NATS_CONFIG_TARGET},
        ]
        assert config == node_config(node)
        names += re.findall(r'^server_name: "([^"]+)"$', config, re.MULTILINE)
        routes = re.findall(r'"nats://([^:"]+):6222"', config)
        assert set(routes) >= set(NATS_NODES) - {node}, f"{node} routes to every other node"
        assert re.search(r'jetstream \{\n  store_dir: "/data"\n\}', config)
        stores += [v.split(":")[0] for v in block["volumes"] if v.endswith(":/data")]
        assert "healthcheck" in block
    assert names == list(NATS_NODES), "one unique server name per node"
    assert len(set(stores)) == len(NATS_NODES), "each node keeps JetStream in its own volume"
    assert set(stores) <= set(CLUSTER["volumes"])


def test_the_cluster_has_the_users_of_the_single_node_file() -> None:
    single = str(SINGLE["configs"][NATS_CONFIG]["content"])

    assert CLUSTER["configs"][NATS_CONFIG]["content"] == single, (
        f"the NATS users of {CLUSTER_FILE} differ from docker-compose.yml's: run "
        "`mkservice nats-users`"
    )


def test_the_base_file_is_a_valid_empty_cluster(tmp_path: Path) -> None:
    base = yaml.safe_load(BASE_CLUSTER_COMPOSE)

    assert set(base["services"]) == {*NATS_NODES, "postgres", KEYCLOAK, *OBSERVABILITY}
    assert configs_of(base)[NATS_CONFIG] == render_config([], NatsCredentials())
    for node in NATS_NODES:
        folder = tmp_path / node
        folder.mkdir()
        assert_nats_accepts(base, node, folder)


# The services: migrated once, then two replicas on the three nodes.


def single_facts(slug: str) -> tuple[int, str]:
    """(port, NATS password) of ``slug`` in docker-compose.yml."""
    prefix = derive_names(slug).env_prefix
    environment = SINGLE["services"][slug]["environment"]
    return int(environment[f"{prefix}PORT"]), environment[f"{prefix}NATS_PASSWORD"]


def test_the_cluster_has_every_service_of_docker_compose_and_no_other() -> None:
    not_services = ("nats", "postgres", KEYCLOAK, *OBSERVABILITY)
    singles = [name for name in SINGLE["services"] if name not in not_services]
    expected = {*NATS_NODES, "postgres", KEYCLOAK, *OBSERVABILITY}
    for slug in singles:
        expected |= {migrate_block(slug), slug}

    assert set(CLUSTER["services"]) == expected


@pytest.mark.parametrize("service", SERVICES, ids=ids)
def test_each_service_runs_two_replicas_on_the_three_nodes(service: RegisteredService) -> None:
    block = CLUSTER["services"].get(service.slug)
    assert block is not None, f"services/{service.slug} has no block in {CLUSTER_FILE}"
    single = SINGLE["services"][service.slug]["environment"]
    prefix = service.env_prefix
    environment = block["environment"]

    assert block["deploy"] == {"replicas": 2}
    assert environment[f"{prefix}STREAM_REPLICAS"] == "3"
    servers = environment[f"{prefix}NATS_URL"].split(",")
    assert servers == [f"nats://{node}:4222" for node in NATS_NODES]
    for key in ("DATABASE_URL", "NATS_USER", "NATS_PASSWORD", "PORT"):
        assert environment[f"{prefix}{key}"] == single[f"{prefix}{key}"], f"{key} as single-node"
    # Two replicas cannot share a host port: each publishes the service's port on its own.
    assert block["ports"] == [str(service.port)]
    assert block["command"] == ["python", "-m", service.package, "serve"]


@pytest.mark.parametrize("service", SERVICES, ids=ids)
def test_each_service_migrates_once_before_its_replicas_start(
    service: RegisteredService,
) -> None:
    services = CLUSTER["services"]
    migrate = services.get(migrate_block(service.slug))
    assert migrate is not None, f"{CLUSTER_FILE} has no {migrate_block(service.slug)} block"
    replicas = services[service.slug]

    assert migrate["command"] == ["python", "-m", service.package, "migrate"]
    assert "deploy" not in migrate, "one migration, not one per replica"
    assert migrate["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    assert migrate["build"] == replicas["build"]
    database = f"{service.env_prefix}DATABASE_URL"
    migration = f"{service.env_prefix}MIGRATION_DATABASE_URL"
    single = SINGLE["services"][service.slug]["environment"]
    # It migrates as the migrator; the replicas serve as the runtime role, without its password.
    assert migrate["environment"] == {database: single[database], migration: single[migration]}
    assert migration not in replicas["environment"]
    assert replicas["depends_on"] == {
        **{node: {"condition": "service_healthy"} for node in NATS_NODES},
        "postgres": {"condition": "service_healthy"},
        KEYCLOAK: {"condition": "service_healthy"},
        migrate_block(service.slug): {"condition": "service_completed_successfully"},
    }
    # The replicas check bearer tokens of the same issuer as docker-compose.yml's services.
    prefix = service.env_prefix
    assert replicas["environment"][f"{prefix}AUTH_ISSUER"] == ISSUER
    assert replicas["environment"][f"{prefix}AUTH_JWKS_URL"] == JWKS_URL


@pytest.mark.parametrize("service", SERVICES, ids=ids)
def test_the_blocks_are_what_mkservice_writes(service: RegisteredService) -> None:
    entries = cluster_entries(derive_names(service.slug), *single_facts(service.slug))

    for name, entry in entries.items():
        assert CLUSTER["services"][name] == entry


@pytest.mark.parametrize("service", SERVICES, ids=ids)
def test_the_chassis_reads_the_cluster_settings(
    service: RegisteredService, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings_class: type[ServiceSettings] = type(
        "Settings", (ServiceSettings,), {"service_name": service.slug}
    )
    for key, value in CLUSTER["services"][service.slug]["environment"].items():
        monkeypatch.setenv(key, value)

    settings = load_settings(settings_class)

    assert settings.stream_replicas == 3
    assert settings.nats_url.count("nats://") == 3
    assert settings.port == service.port
    assert (settings.auth_issuer, settings.auth_jwks_url) == (ISSUER, JWKS_URL)


def test_postgres_runs_the_same_init_scripts() -> None:
    volumes = CLUSTER["services"]["postgres"]["volumes"]

    assert volumes == SINGLE["services"]["postgres"]["volumes"]


# The edit itself, on files written here.


def register_both(root: Path, slug: str, port: int, nats_password: str) -> None:
    names = derive_names(slug)
    single = register_service(root, names, port, nats_password)
    (root / "docker-compose.yml").write_text(single.new_text)
    cluster = register_in_cluster(root, names, port, nats_password, None, single.init_script)
    (root / CLUSTER_FILE).write_text(cluster.new_text)


def test_registers_a_service_and_unregistering_gives_the_file_back(tmp_path: Path) -> None:
    register_both(tmp_path, "alpha", 8001, "alpha-pw")
    before = (tmp_path / CLUSTER_FILE).read_text()
    register_both(tmp_path, "beta", 8002, "beta-pw")

    new = yaml.safe_load((tmp_path / CLUSTER_FILE).read_text())
    assert list(new["services"])[-4:] == ["alpha-migrate", "alpha", "beta-migrate", "beta"]
    assert new["services"]["postgres"]["volumes"][-1] == (
        "./services/beta/deploy/postgres-init.sql:/docker-entrypoint-initdb.d/02-beta.sql:ro"
    )
    credentials = NatsCredentials({"alpha": "alpha-pw", "beta": "beta-pw"})
    expected = render_config([default_grant("alpha"), default_grant("beta")], credentials)
    assert configs_of(new)[NATS_CONFIG] == expected
    assert unregister_from_cluster(tmp_path, ["beta"]).new_text == before
    assert unregister_from_cluster(tmp_path, ["alpha", "beta"]).new_text == BASE_CLUSTER_COMPOSE


def test_creates_the_cluster_file_when_there_is_none(tmp_path: Path) -> None:
    change = register_in_cluster(tmp_path, derive_names("alpha"), 8001, "nats-pw")

    assert change.old_text is None
    services = set(yaml.safe_load(change.new_text)["services"])
    assert services == {*NATS_NODES, "postgres", KEYCLOAK, *OBSERVABILITY, "alpha-migrate", "alpha"}


def test_the_configs_stay_valid_with_services(tmp_path: Path) -> None:
    register_both(tmp_path, "alpha", 8001, "alpha-pw")
    compose = yaml.safe_load((tmp_path / CLUSTER_FILE).read_text())

    assert_nats_accepts(compose, NATS_NODES[0], tmp_path)


def test_replaces_the_stale_blocks_of_the_same_name(tmp_path: Path) -> None:
    register_both(tmp_path, "alpha", 8001, "old-pw")

    change = register_in_cluster(tmp_path, derive_names("alpha"), 8003, "new-pw")

    new = yaml.safe_load(change.new_text)
    assert change.replaced_stale_block
    assert [name for name in new["services"] if "alpha" in name] == ["alpha-migrate", "alpha"]
    assert new["services"]["alpha"]["ports"] == ["8003"]


@pytest.mark.parametrize("name", ["nats-2", "shipping-migrate"])
def test_refuses_a_name_the_cluster_file_uses(tmp_path: Path, name: str) -> None:
    with pytest.raises(Refused, match=f"'{name}' is taken in {CLUSTER_FILE}"):
        register_in_cluster(tmp_path, derive_names(name), 8001, "nats-pw")


def test_refuses_a_cluster_file_without_the_users_config(tmp_path: Path) -> None:
    (tmp_path / CLUSTER_FILE).write_text(BASE_CLUSTER_COMPOSE.replace("nats-users:", "other:"))

    with pytest.raises(GenerationFailed, match=f"{CLUSTER_FILE} has no `configs: nats-users"):
        register_in_cluster(tmp_path, derive_names("alpha"), 8001, "nats-pw")


# The commands, in copies of the workspace.

NEW = "zz-probe-cluster"


def test_new_registers_the_service_in_both_files(repo: Path) -> None:
    created = mkservice(repo, "new", NEW, "--no-install")
    assert created.returncode == 0, created.stderr
    single = yaml.safe_load((repo / "docker-compose.yml").read_text())
    cluster = yaml.safe_load((repo / CLUSTER_FILE).read_text())
    prefix = derive_names(NEW).env_prefix

    for key in ("DATABASE_URL", "NATS_USER", "NATS_PASSWORD", "PORT"):
        name = f"{prefix}{key}"
        assert (
            cluster["services"][NEW]["environment"][name]
            == (single["services"][NEW]["environment"][name])
        )
    assert cluster["services"][migrate_block(NEW)]["command"][-1] == "migrate"
    assert cluster["configs"][NATS_CONFIG] == single["configs"][NATS_CONFIG]
    assert cluster["services"]["postgres"]["volumes"] == single["services"]["postgres"]["volumes"]
    assert mkservice(repo, "nats-users", "--check").returncode == 0


def test_remove_takes_the_service_out_of_the_cluster_file(repo: Path) -> None:
    before = (repo / CLUSTER_FILE).read_bytes()
    assert mkservice(repo, "new", NEW, "--no-install").returncode == 0

    removed = mkservice(repo, "remove", NEW, "--no-sync")

    assert removed.returncode == 0, removed.stderr
    assert (repo / CLUSTER_FILE).read_bytes() == before


def test_nats_users_checks_and_renders_the_cluster_file(repo: Path) -> None:
    cluster = repo / CLUSTER_FILE
    text = cluster.read_text()
    first_user = re.search(r'\{ user: "([^"]+)"', text)
    if first_user is None:
        pytest.skip("the workspace has no service yet")
    cluster.write_text(text.replace(f'{{ user: "{first_user.group(1)}"', '{ user: "stale"', 1))

    stale = mkservice(repo, "nats-users", "--check")
    assert stale.returncode == 1
    assert f"{CLUSTER_FILE}: the NATS users are out of date" in stale.stdout
    assert "docker-compose.yml: the NATS users are up to date" in stale.stdout

    assert mkservice(repo, "nats-users").returncode == 0
    assert cluster.read_text() == text


# The cluster the configs describe, run here: three nats-server processes on local ports.


def local_node_config(config: str, ports: dict[str, tuple[int, int, int]], store: Path) -> str:
    """A node's config with the addresses compose's network gives it swapped for local ones
    (client, monitoring and route ports per node; a store folder); the rest exactly as shipped."""
    node = re.search(r'^server_name: "([^"]+)"$', config, re.MULTILINE)
    assert node is not None
    client, monitor, route = ports[node.group(1)]
    config = re.sub(r"^port: 4222$", f"port: {client}", config, flags=re.MULTILINE)
    config = re.sub(r"^http_port: 8222$", f"http_port: {monitor}", config, flags=re.MULTILINE)
    config = re.sub(r"^  port: 6222$", f"  port: {route}", config, flags=re.MULTILINE)
    config = config.replace('store_dir: "/data"', f'store_dir: "{store}"')
    for other, (_, _, other_route) in ports.items():
        config = config.replace(f'"nats://{other}:6222"', f'"nats://127.0.0.1:{other_route}"')
    return config


def wait_healthy(monitor: int, deadline: float) -> None:
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{monitor}/healthz", timeout=2):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


@contextmanager
def local_cluster(compose: dict[str, Any], folder: Path) -> Iterator[list[str]]:
    """The three nodes of ``compose``, run from its configs on local ports; their client URLs."""
    configs = configs_of(compose)
    ports = {node: (free_port(), free_port(), free_port()) for node in NATS_NODES}
    processes = []
    try:
        for node in NATS_NODES:
            (folder / node).mkdir()
            (folder / node / Path(NATS_CONFIG_TARGET).name).write_text(configs[NATS_CONFIG])
            config = folder / node / Path(NODE_CONFIG_TARGET).name
            config.write_text(local_node_config(configs[node], ports, folder / node / "store"))
            command = [nats_server_binary(), "-c", str(config)]
            processes.append(subprocess.Popen(command, stderr=subprocess.DEVNULL))
        deadline = time.monotonic() + 60
        for _, monitor, _ in ports.values():
            wait_healthy(monitor, deadline)
        yield [f"nats://127.0.0.1:{client}" for client, _, _ in ports.values()]
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=30)


async def _until_answered(call: Any, timeout_s: float = 30.0) -> Any:
    """``await call()``, again while the cluster has no leader to answer it yet."""
    from nats.errors import NoRespondersError
    from nats.errors import TimeoutError as NatsTimeout
    from nats.js.errors import NoStreamResponseError

    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        try:
            return await call()
        except (NoRespondersError, NoStreamResponseError, NatsTimeout):
            if asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.5)


async def keep_a_stream(
    servers: list[str], service: RegisteredService, environment: dict[str, str]
) -> StreamInfo:
    """Log in as the service, create its stream as the cluster file says, publish once."""
    prefix = service.env_prefix
    client = await nats.connect(
        servers=servers,
        user=environment[f"{prefix}NATS_USER"],
        password=environment[f"{prefix}NATS_PASSWORD"],
    )
    try:
        jetstream = client.jetstream()
        replicas = int(environment[f"{prefix}STREAM_REPLICAS"])
        subjects = [f"{service.slug}.>"]
        # A cluster that has just started may not have elected its JetStream leader, nor the new
        # stream its own: each answers "no responders" or nothing until then (the chassis's
        # Broker retries the same way), so both steps are tried again for a while.
        await _until_answered(
            lambda: jetstream.add_stream(
                name=service.stream, subjects=subjects, num_replicas=replicas
            )
        )
        await _until_answered(lambda: jetstream.publish(f"{service.slug}.evt.probe", b"{}"))
        return await jetstream.stream_info(service.stream)
    finally:
        await client.close()


@pytest.mark.skipif(not SERVICES, reason="the workspace has no service yet")
def test_a_service_user_keeps_its_stream_on_all_three_nodes(tmp_path: Path) -> None:
    service = SERVICES[0]
    environment = CLUSTER["services"][service.slug]["environment"]

    with local_cluster(CLUSTER, tmp_path) as servers:
        info = asyncio.run(keep_a_stream(servers, service, environment))

    assert info.config.num_replicas == 3
    assert info.cluster is not None and len(info.cluster.replicas or []) == 2
    assert info.state.messages == 1


def test_prometheus_finds_every_replica_of_each_service_by_dns(tmp_path: Path) -> None:
    register_both(tmp_path, "alpha", 8001, "alpha-pw")
    compose = yaml.safe_load((tmp_path / CLUSTER_FILE).read_text())

    scrape = yaml.safe_load(compose["configs"]["prometheus"]["content"])
    [job] = scrape["scrape_configs"]
    assert job["job_name"] == "alpha"
    assert job["dns_sd_configs"] == [{"names": ["alpha"], "type": "A", "port": 8001}]
    assert job["oauth2"]["scopes"] == ["metrics"]  # /metrics takes a token of scope metrics
    replicas = compose["services"]["alpha"]
    assert (
        replicas["environment"]["OTEL_EXPORTER_OTLP_ENDPOINT"] == "${OTEL_EXPORTER_OTLP_ENDPOINT:-}"
    )
    for name in OBSERVABILITY:
        assert compose["services"][name]["profiles"] == ["observability"]


def test_the_cluster_runs_the_keycloak_of_the_single_node_file() -> None:
    assert CLUSTER["services"][KEYCLOAK] == SINGLE["services"][KEYCLOAK]
    assert CLUSTER["configs"][REALM_CONFIG] == SINGLE["configs"][REALM_CONFIG]
    assert CLUSTER["secrets"] == SINGLE["secrets"]
    assert CLUSTER["services"]["prometheus"] == SINGLE["services"]["prometheus"]
