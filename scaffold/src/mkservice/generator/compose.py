"""Registering a service in the root ``docker-compose.yml``, by editing its text.

The file is edited as text, not re-dumped from a parsed tree, so every comment and every hand
edit survives. The parser only says where things are (the line of each node); the new text is
then parsed again and checked to hold exactly the intended change before anyone writes it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from mkservice.generator.errors import GenerationFailed
from mkservice.generator.naming import ServiceNames

COMPOSE_FILE = "docker-compose.yml"
INIT_DIR = "/docker-entrypoint-initdb.d"
INFRASTRUCTURE = ("nats", "postgres")
_INIT_MOUNT = re.compile(r"/docker-entrypoint-initdb\.d/(\d+)-")
_PASSWORD = re.compile(r"\bPASSWORD\s+'([^']*)'", re.IGNORECASE)
# libyaml's parser when PyYAML has it: several times faster, and `mkservice new` parses the file
# a few times within its one-second budget.
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

BASE_COMPOSE = """\
# The whole stack: NATS, PostgreSQL and one block per service. `mkservice new` adds a service's
# block and its init script below (as text: comments and hand edits stay).
# Each service has its own database, role and password (services/<name>/deploy/postgres-init.sql)
# and depends on NATS and PostgreSQL only, never on another service.
services:
  nats:
    image: nats:2.10-alpine
    # JetStream fsyncs only every `sync_interval` (2 minutes by default): acknowledged messages
    # can be lost when the host crashes. Fine for local runs; production should set
    # `jetstream { sync_interval: always }` in a config file, or use replicated (R3) streams
    # across failure domains, preferably both (see docs/adr/0004-nats-jetstream.md).
    command: ["-js", "-sd", "/data", "-m", "8222"]
    ports:
      - "4222:4222"
      - "8222:8222"
    volumes:
      - nats-data:/data
    healthcheck:
      test: ["CMD", "wget", "-q", "--spider", "http://127.0.0.1:8222/healthz?js-enabled-only=true"]
      interval: 2s
      timeout: 3s
      retries: 30

  postgres:
    image: postgres:16-alpine
    environment:
      # The superuser, for the init scripts and an operator only: every service logs in with
      # its own role, which owns its own database, and no other role may connect to it.
      POSTGRES_PASSWORD: ${POSTGRES_PASSWORD:-postgres}
    ports:
      - "5432:5432"
    # The data, then one init script per service (run once, when the data volume is new).
    volumes:
      - postgres-data:/var/lib/postgresql/data
    healthcheck:
      # Over TCP: during initdb the server listens on its socket only, so this waits for the
      # init scripts to finish.
      test: ["CMD-SHELL", "pg_isready -h 127.0.0.1 -U postgres"]
      interval: 2s
      timeout: 3s
      retries: 30

volumes:
  nats-data:
  postgres-data:
"""


@dataclass(frozen=True)
class ComposeChange:
    """The new text of docker-compose.yml and what it adds."""

    path: Path
    old_text: str | None
    new_text: str
    init_script: str
    replaced_stale_block: bool


def read_init_password(init_sql: Path) -> str:
    """The password a service's postgres-init.sql gives its role."""
    match = _PASSWORD.search(init_sql.read_text(encoding="utf-8"))
    if match is None:
        raise GenerationFailed(f"{init_sql} sets no role password.")
    return match.group(1)


def service_entry(names: ServiceNames, port: int, password: str) -> dict[str, Any]:
    """The compose block of a service, as the parsed YAML it must equal."""
    prefix = names.env_prefix
    return {
        "build": {"context": ".", "dockerfile": f"services/{names.slug}/Dockerfile"},
        "environment": {
            f"{prefix}DATABASE_URL": (
                f"postgresql://{names.package}:{password}@postgres:5432/{names.package}"
            ),
            f"{prefix}NATS_URL": "nats://nats:4222",
            f"{prefix}HOST": "0.0.0.0",
            f"{prefix}PORT": str(port),
        },
        "ports": [f"{port}:{port}"],
        "depends_on": {name: {"condition": "service_healthy"} for name in INFRASTRUCTURE},
    }


def _service_block(names: ServiceNames, port: int, password: str, indent: int) -> list[str]:
    entry = service_entry(names, port, password)
    pad = " " * indent
    lines = [f"{pad}{names.slug}:", f"{pad}  build:"]
    lines += [f"{pad}    {key}: {value}" for key, value in entry["build"].items()]
    lines.append(f"{pad}  environment:")
    for key, value in entry["environment"].items():
        shown = f'"{value}"' if key.endswith("PORT") else value
        lines.append(f"{pad}    {key}: {shown}")
    lines += [f"{pad}  ports:", f'{pad}    - "{port}:{port}"', f"{pad}  depends_on:"]
    for name in INFRASTRUCTURE:
        lines += [f"{pad}    {name}:", f"{pad}      condition: service_healthy"]
    return lines


def init_script_name(number: int, slug: str) -> str:
    return f"{number:02d}-{slug}.sql"


def register_service(root: Path, names: ServiceNames, port: int, password: str) -> ComposeChange:
    """The docker-compose.yml text with the service's block and init script added.

    A block already there for the same name (its folder was removed by hand) is replaced. Raises
    :class:`GenerationFailed` when the file cannot be understood; nothing is written here.
    """
    path = root / COMPOSE_FILE
    old_text = path.read_text(encoding="utf-8") if path.is_file() else None
    text = old_text if old_text is not None else BASE_COMPOSE
    text, replaced = _remove_service(text, names.slug)
    lines = text.splitlines()
    root_node = _compose(text)
    services = _get(root_node, "services")
    postgres = _get(services, "postgres")
    volumes = _get(postgres, "volumes")
    if not isinstance(services, yaml.MappingNode) or not isinstance(postgres, yaml.MappingNode):
        raise GenerationFailed(f"{COMPOSE_FILE} has no services.postgres block to register with.")
    if not isinstance(volumes, yaml.SequenceNode) or not volumes.value or volumes.flow_style:
        raise GenerationFailed(f"{COMPOSE_FILE}: services.postgres.volumes must be a block list.")

    numbers = [int(m.group(1)) for item in volumes.value if (m := _INIT_MOUNT.search(item.value))]
    script = init_script_name(max(numbers, default=0) + 1, names.slug)
    mount = f"./services/{names.slug}/deploy/postgres-init.sql:{INIT_DIR}/{script}:ro"
    last_item = volumes.value[-1]
    item_line = lines[last_item.start_mark.line]
    item_indent = item_line[: len(item_line) - len(item_line.lstrip())]
    mount_at = last_item.end_mark.line + (1 if last_item.end_mark.column else 0)

    key_indent = services.value[0][0].start_mark.column if services.value else 2
    block_at = _end_of_section(lines, root_node, "services", key_indent)
    block = _service_block(names, port, password, key_indent)
    if block_at > 0 and lines[block_at - 1].strip():
        block.insert(0, "")

    # The block goes at the end of the services, after the mount (postgres is one of them):
    # inserting it first keeps the mount's line number valid.
    lines[block_at:block_at] = block
    lines[mount_at:mount_at] = [f"{item_indent}- {mount}"]
    new_text = "\n".join(lines) + "\n"
    _verify(old_text, new_text, names, port, password, mount)
    return ComposeChange(path, old_text, new_text, script, replaced)


def _compose(text: str) -> yaml.Node | None:
    try:
        return yaml.compose(text, Loader=_LOADER)
    except yaml.YAMLError as error:
        raise GenerationFailed(f"{COMPOSE_FILE} is not valid YAML ({error}).") from None


def _get(node: yaml.Node | None, key: str) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if key_node.value == key:
                return value_node
    return None


def _end_of_section(lines: list[str], root_node: yaml.Node | None, key: str, indent: int) -> int:
    """The line just after the last content of the top-level section ``key``: before the next
    top-level key and the blank lines and outdented comments that lead up to it."""
    assert isinstance(root_node, yaml.MappingNode)
    keys = [key_node for key_node, _ in root_node.value]
    position = next(i for i, key_node in enumerate(keys) if key_node.value == key)
    end = keys[position + 1].start_mark.line if position + 1 < len(keys) else len(lines)
    while end > 0:
        line = lines[end - 1]
        comment = line.lstrip().startswith("#")
        if line.strip() and not (comment and len(line) - len(line.lstrip()) < indent):
            break
        end -= 1
    return end


def _remove_service(text: str, slug: str) -> tuple[str, bool]:
    """``text`` without the block of ``slug`` and its init-script mount, if it has them."""
    root_node = _compose(text)
    services = _get(root_node, "services")
    if not isinstance(services, yaml.MappingNode):
        return text, False
    lines = text.splitlines()
    doomed: set[int] = set()
    entries = services.value
    for index, (key_node, _) in enumerate(entries):
        if key_node.value == slug:
            indent = key_node.start_mark.column
            if index + 1 < len(entries):
                end = entries[index + 1][0].start_mark.line
            else:
                end = _end_of_section(lines, root_node, "services", indent)
            doomed.update(range(key_node.start_mark.line, end))
    volumes = _get(_get(services, "postgres"), "volumes")
    if isinstance(volumes, yaml.SequenceNode):
        for item in volumes.value:
            if isinstance(item, yaml.ScalarNode) and f"services/{slug}/deploy/" in item.value:
                doomed.add(item.start_mark.line)
    if not doomed:
        return text, False
    kept = [line for number, line in enumerate(lines) if number not in doomed]
    return "\n".join(kept) + "\n", True


def _verify(
    old_text: str | None, new_text: str, names: ServiceNames, port: int, password: str, mount: str
) -> None:
    """The new text parses, holds the new block and mount, and changes nothing else."""
    try:
        new = yaml.load(new_text, Loader=_LOADER)
        old = yaml.load(old_text if old_text is not None else BASE_COMPOSE, Loader=_LOADER)
    except yaml.YAMLError as error:
        raise GenerationFailed(f"the new {COMPOSE_FILE} would not parse ({error}).") from None
    try:
        problem = _difference(old, new, names, service_entry(names, port, password), mount)
    except (KeyError, TypeError, AttributeError):
        problem = "its services or the postgres volumes are missing"
    if problem is not None:
        raise GenerationFailed(f"could not register {names.slug} in {COMPOSE_FILE}: {problem}.")


def _difference(
    old: dict[str, Any], new: dict[str, Any], names: ServiceNames, entry: object, mount: str
) -> str | None:
    if new["services"].get(names.slug) != entry:
        return f"the block of {names.slug} is not as intended"
    new_mounts = new["services"]["postgres"].pop("volumes")
    old_mounts = old["services"]["postgres"].pop("volumes")
    old_mounts = [m for m in old_mounts if f"services/{names.slug}/deploy/" not in str(m)]
    if new_mounts != [*old_mounts, mount]:
        return "the postgres init scripts are not as intended"
    new["services"].pop(names.slug, None)
    old["services"].pop(names.slug, None)
    if new != old:
        return "other parts of the file would change"
    return None


def compose_ports(root: Path) -> dict[int, str]:
    """Host port -> the name of the compose block publishing it (NATS and PostgreSQL too)."""
    data = _load(root)
    found: dict[int, str] = {}
    for name, block in (data.get("services") or {}).items():
        if not isinstance(block, dict):
            continue
        for mapping in block.get("ports") or []:
            parts = str(mapping).split(":")
            host = parts[-2] if len(parts) > 1 else parts[0]
            if host.isdigit():
                found[int(host)] = str(name)
    return found


def stale_blocks(root: Path) -> list[str]:
    """One sentence for each compose block or init mount whose service folder is gone."""
    data = _load(root)
    services = data.get("services") or {}
    problems = []
    for name, block in services.items():
        build = block.get("build") if isinstance(block, dict) else None
        dockerfile = build.get("dockerfile") if isinstance(build, dict) else None
        if dockerfile and not (root / str(dockerfile)).is_file():
            problems.append(
                f"{COMPOSE_FILE} builds {name!r} from {dockerfile}, which does not exist: remove "
                f"its block or run `mkservice new {name}` again."
            )
    postgres = services.get("postgres") or {}
    for mount in postgres.get("volumes") or [] if isinstance(postgres, dict) else []:
        source = str(mount).split(":")[0]
        if source.startswith("./services/") and not (root / source).is_file():
            problems.append(f"{COMPOSE_FILE} mounts {source} into postgres, which does not exist.")
    return problems


def _load(root: Path) -> dict[str, Any]:
    path = root / COMPOSE_FILE
    if not path.is_file():
        return {}
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)
    except yaml.YAMLError:
        return {}
    return data if isinstance(data, dict) else {}
