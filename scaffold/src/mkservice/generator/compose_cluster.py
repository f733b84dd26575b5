"""The cluster shape of the deploy files, ``docker-compose.cluster.yml``: three NATS nodes with
routes between them and streams of three replicas, PostgreSQL, and two replicas of each service
whose migration runs once, in a one-shot ``<service>-migrate`` block, before they start.

It is a complete file, run on its own (``docker compose -f docker-compose.cluster.yml up``),
not an override of docker-compose.yml: an override cannot take out what the single-node file
says (its ``nats``, the fixed host port of each service, the ``--migrate`` of its command)
without compose's ``!reset`` tags, which plain YAML readers refuse; and what compose runs from
two merged files is what its merge rules make of them, which a test here could only model.

The file holds the same facts as docker-compose.yml (each service's database URL, NATS user and
password, port, init script) and :mod:`mkservice.generator.compose` edits it the same way, from
the same inputs, when a service is added or removed; the NATS users are rendered the same way.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from chassis import naming

from mkservice.generator import compose
from mkservice.generator.compose_file import (
    NATS_CONFIG,
    NATS_CONFIG_TARGET,
    OBSERVABILITY,
    OBSERVABILITY_BLOCKS,
    OBSERVABILITY_CONFIGS,
    ComposeShape,
    database_urls,
)
from mkservice.generator.errors import Refused
from mkservice.generator.keycloak_realm import (
    CREDENTIALS_SECTION,
    KEYCLOAK,
    KEYCLOAK_BLOCK,
    KEYCLOAK_CONFIG,
)
from mkservice.generator.naming import ServiceNames
from mkservice.stack.nats_auth import ServiceGrant

CLUSTER_FILE = "docker-compose.cluster.yml"
CLUSTER_NAME = "mkservice"
NATS_NODES = ("nats-1", "nats-2", "nats-3")
CLIENT_PORT, MONITOR_PORT, ROUTE_PORT = 4222, 8222, 6222
# Where each node reads its own config; the users config sits beside it, which it includes.
NODE_CONFIG_TARGET = "/etc/nats/nats.conf"
# Every stream on every node: it survives the loss of any one node (the chassis setting
# <PREFIX>STREAM_REPLICAS; its default, 1, is for a single server).
STREAM_REPLICAS = len(NATS_NODES)
SERVICE_REPLICAS = 2
MIGRATE_SUFFIX = "-migrate"


def migrate_block(slug: str) -> str:
    """The name of the one-shot block that migrates the database of ``slug``."""
    return f"{slug}{MIGRATE_SUFFIX}"


def nats_urls() -> str:
    """Every node's client URL, as a service's ``<PREFIX>NATS_URL``: it connects to any and
    fails over to the others."""
    return ",".join(f"nats://{node}:{CLIENT_PORT}" for node in NATS_NODES)


def node_config(node: str) -> str:
    """The nats-server config of ``node``: its unique server name, JetStream in its own store,
    routes to every node (a route to itself is ignored), and the users beside it."""
    routes = "".join(f'    "nats://{other}:{ROUTE_PORT}"\n' for other in NATS_NODES)
    users = Path(NATS_CONFIG_TARGET).name
    return (
        f"# {node}, one of {len(NATS_NODES)} (mkservice/generator/compose_cluster.py).\n"
        f'server_name: "{node}"\n'
        f"port: {CLIENT_PORT}\n"
        f"http_port: {MONITOR_PORT}\n"
        'jetstream {\n  store_dir: "/data"\n}\n'
        f'cluster {{\n  name: "{CLUSTER_NAME}"\n  port: {ROUTE_PORT}\n'
        f"  routes: [\n{routes}  ]\n}}\n"
        f'include "{users}"\n'
    )


def _indented(text: str, spaces: int) -> str:
    return "".join(f"{' ' * spaces}{line}\n" for line in text.splitlines())


def _node_block(index: int, node: str) -> str:
    # Host ports one apart per node, for the `nats` CLI and the monitoring endpoint (which
    # shows the stream leaders); the services reach the nodes inside compose's network.
    return f"""\
  {node}:
    image: nats:2.10-alpine
    command: ["-c", "{NODE_CONFIG_TARGET}"]
    configs:
      - source: {node}
        target: {NODE_CONFIG_TARGET}
      - source: {NATS_CONFIG}
        target: {NATS_CONFIG_TARGET}
    ports:
      - "{CLIENT_PORT + index}:{CLIENT_PORT}"
      - "{MONITOR_PORT + index}:{MONITOR_PORT}"
    volumes:
      - {node}-data:/data
    healthcheck:
      # Without options /healthz also waits for the cluster's meta leader, which creating an
      # R3 stream needs.
      test: ["CMD", "wget", "-q", "--spider", "http://127.0.0.1:{MONITOR_PORT}/healthz"]
      interval: 2s
      timeout: 3s
      retries: 30

"""


def _base_text() -> str:
    nodes = "".join(_node_block(index, node) for index, node in enumerate(NATS_NODES))
    volumes = "".join(f"  {node}-data:\n" for node in NATS_NODES)
    configs = "".join(
        f"  {node}:\n    content: |\n{_indented(node_config(node), 6)}" for node in NATS_NODES
    )
    return f"""\
# The production shape of the stack: a three-node NATS cluster keeping every stream on all three
# nodes, PostgreSQL, Keycloak (the services' token issuer, as in docker-compose.yml), and two
# replicas of each service, whose migration runs once, before they start, in its one-shot
# `<name>-migrate` block. A complete file, run on its own:
#   docker compose -f {CLUSTER_FILE} up --build
# docker-compose.yml stays the single-node stack. `mkservice new` and `mkservice remove` edit
# both files, with the same passwords (see docs/scale-out.md).
# Two replicas cannot share a host port: each publishes its service's port on one Docker picks
# (`docker compose -f {CLUSTER_FILE} port --index 2 <name> <port>`), and inside
# the network `<name>:<port>` resolves to every replica. A real deployment puts a load balancer
# in front. Run one stack at a time: both publish NATS and PostgreSQL on the same host ports.
services:
{nodes}\
  postgres:
    image: postgres:16-alpine
    # The init scripts read each service's role passwords from the environment: the .env file.
    env_file: .env
    environment:
      # The superuser, for the init scripts and an operator only: every service logs in with
      # its own roles, and no other service's role may connect to its database.
      POSTGRES_PASSWORD: ${{POSTGRES_PASSWORD:?run mkservice secrets}}
    ports:
      - "5432:5432"
    # The data, then one init script per service (run once, when the data volume is new).
    volumes:
      - postgres-data:/var/lib/postgresql/data
    healthcheck:
      test: ["CMD-SHELL", "pg_isready -h 127.0.0.1 -U postgres"]
      interval: 2s
      timeout: 3s
      retries: 30

{KEYCLOAK_BLOCK}\
{OBSERVABILITY_BLOCKS}
volumes:
{volumes}\
  postgres-data:

{CREDENTIALS_SECTION}\

# Each node's config: its server name, its store, routes to the others, and the users. R3
# streams keep each message on three nodes before the ack, but on one host they fsync only every
# `sync_interval` (2 minutes): set `jetstream {{ sync_interval: always }}` or spread the nodes
# over hosts (docs/adr/0004-nats-jetstream.md).
# The NATS users are those of docker-compose.yml: one per service, with its
# <PREFIX>NATS_PASSWORD, allowed what its .mkservice.json declares; `$$` is a literal `$`, and
# compose interpolates each `${{<PREFIX>NATS_PASSWORD}}` in the content from .env.
configs:
{configs}\
  {NATS_CONFIG}:
    content: |
      # Generated by mkservice (stack/nats_auth.py): one NATS user per service.
      authorization {{
        users: [
        ]
      }}
{KEYCLOAK_CONFIG}\
{OBSERVABILITY_CONFIGS}"""


BASE_CLUSTER_COMPOSE = _base_text()
# A service has two blocks here: its migration, then its replicas.
CLUSTER = ComposeShape(
    CLUSTER_FILE,
    BASE_CLUSTER_COMPOSE,
    (*NATS_NODES, "postgres", KEYCLOAK, *OBSERVABILITY),
    lambda slug: (migrate_block(slug), slug),
    replicated=True,
)


def cluster_entries(
    names: ServiceNames, port: int, nats_password: str
) -> dict[str, dict[str, Any]]:
    """The blocks of a service in the cluster file (name -> the parsed YAML each must equal):
    its migration, run once (as its migrator), then its replicas, serving without
    ``--migrate``."""
    prefix = naming.env_prefix(names.slug)
    build = {"context": ".", "dockerfile": f"services/{names.slug}/Dockerfile"}
    # The migration block migrates as the migrator; the replicas never hold its password.
    database = database_urls(names)
    runtime = {f"{prefix}DATABASE_URL": database[f"{prefix}DATABASE_URL"]}
    migrate = {
        "build": build,
        "command": ["python", "-m", names.package, "migrate"],
        "environment": database,
        "depends_on": {"postgres": {"condition": "service_healthy"}},
    }
    replicas = {
        "build": build,
        "command": ["python", "-m", names.package, "serve"],
        "environment": {
            **runtime,
            f"{prefix}NATS_URL": nats_urls(),
            f"{prefix}NATS_USER": names.slug,
            f"{prefix}NATS_PASSWORD": nats_password,
            f"{prefix}STREAM_REPLICAS": str(STREAM_REPLICAS),
            f"{prefix}HOST": "0.0.0.0",
            f"{prefix}PORT": str(port),
            "OTEL_EXPORTER_OTLP_ENDPOINT": compose.OTLP_ENDPOINT,
            **compose.auth_settings(names),
        },
        # The container port only: each replica gets a host port of its own.
        "ports": [str(port)],
        "deploy": {"replicas": SERVICE_REPLICAS},
        "depends_on": {
            **{node: {"condition": "service_healthy"} for node in NATS_NODES},
            "postgres": {"condition": "service_healthy"},
            KEYCLOAK: {"condition": "service_healthy"},
            migrate_block(names.slug): {"condition": "service_completed_successfully"},
        },
    }
    return {migrate_block(names.slug): migrate, names.slug: replicas}


def register_in_cluster(
    root: Path,
    names: ServiceNames,
    port: int,
    nats_password: str,
    grant: ServiceGrant | None = None,
    init_script: str | None = None,
) -> compose.ComposeChange:
    """The cluster file's text with the service's blocks and init script added (the file is
    created from its base text when there is none) and the NATS users rendered again. Give it
    the NATS password and the ``init_script`` docker-compose.yml gets, so both files agree.

    Refuses (:class:`Refused`) a name the file uses for something else: a NATS node's, or one
    ending in ``-migrate``, which the migration blocks of services take.
    """
    if names.slug in NATS_NODES or names.slug.endswith(MIGRATE_SUFFIX):
        raise Refused(
            f"{names.slug!r} is taken in {CLUSTER_FILE}: NATS nodes are called "
            f"{', '.join(NATS_NODES)} and <service>{MIGRATE_SUFFIX} runs a service's migration."
        )
    entries = cluster_entries(names, port, nats_password)
    return compose.register_blocks(CLUSTER, root, names.slug, entries, grant, init_script)


def unregister_from_cluster(root: Path, slugs: Iterable[str]) -> compose.ComposeChange:
    """The cluster file's text without the blocks and init-script mounts of ``slugs``."""
    return compose.unregister_blocks(CLUSTER, root, slugs)
