"""Where each service's database comes from: its config.py defaults, its .env files, and the
compose files at the repo root."""

from __future__ import annotations

import ast
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from mkservice.check.dburls import DatabaseTarget, database_target
from mkservice.check.discovery import Service
from mkservice.check.pysource import docstring_ids, parse_python, python_files, string_expressions

_COMPOSE_PATTERNS = ("docker-compose*.yml", "docker-compose*.yaml", "compose*.yml", "compose*.yaml")
# How database containers are usually named after the service that owns them.
_DB_SUFFIXES = ("_db", "_database", "_postgres", "_postgresql", "_pg")
_DB_PREFIXES = ("db_", "postgres_", "pg_")


@dataclass(frozen=True)
class DatabaseUse:
    """A place that gives a service its database (a default, an environment entry)."""

    service: str
    file: Path
    line: int
    source: str
    target: DatabaseTarget


def find_database_uses(repo: Path, services: Sequence[Service]) -> list[DatabaseUse]:
    """Every database a service defaults to or is configured with, from every source."""
    uses: list[DatabaseUse] = []
    for service in services:
        uses.extend(_config_uses(repo, service))
        for env_file in _env_files(service.root):
            uses.extend(_env_uses(repo, env_file, services, owner=service))
    for env_file in _env_files(repo):
        # A root .env serves every service; its keys carry each service's prefix.
        uses.extend(_env_uses(repo, env_file, services, owner=None))
    for compose_file in _compose_files(repo):
        uses.extend(_compose_uses(repo, compose_file, services))
    return uses


def _config_uses(repo: Path, service: Service) -> list[DatabaseUse]:
    uses: list[DatabaseUse] = []
    implied: list[DatabaseUse] = []
    for path in (p for p in python_files([service.src]) if p.name == "config.py"):
        tree = parse_python(path)
        if tree is None:
            continue
        for node, text in string_expressions(tree, docstring_ids(tree)):
            if target := database_target(text, repo):
                use = DatabaseUse(service.name, path, node.lineno, "config.py default", target)
                uses.append(use)
        implied.extend(_chassis_default(repo, service, path, tree))
    # The chassis default applies only when the settings give no database URL of their own.
    return uses or implied


def _chassis_default(
    repo: Path, service: Service, path: Path, tree: ast.Module
) -> list[DatabaseUse]:
    """The chassis defaults a service to <repo>/.data/<service_name>.db."""
    for node in ast.walk(tree):
        if not isinstance(node, ast.Assign | ast.AnnAssign):
            continue
        target, value = _assignment(node)
        if (
            target == "service_name"
            and isinstance(value, ast.Constant)
            and isinstance(value.value, str)
        ):
            url = f"sqlite+aiosqlite:///.data/{value.value}.db"
            if found := database_target(url, repo):
                return [DatabaseUse(service.name, path, node.lineno, "chassis default", found)]
    return []


def _assignment(node: ast.Assign | ast.AnnAssign) -> tuple[str | None, ast.expr | None]:
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
        return node.target.id, node.value
    if isinstance(node, ast.Assign) and len(node.targets) == 1:
        target = node.targets[0]
        return (target.id if isinstance(target, ast.Name) else None), node.value
    return None, None


def _env_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob(".env*") if p.is_file())


def _env_uses(
    repo: Path, path: Path, services: Sequence[Service], owner: Service | None
) -> Iterator[DatabaseUse]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return
    for line_number, raw in enumerate(lines, start=1):
        line = raw.strip().removeprefix("export ").strip()
        key, separator, value = line.partition("=")
        key = key.strip()
        if line.startswith("#") or not separator or not key.upper().endswith("DATABASE_URL"):
            continue
        service = owner or _service_by_prefix(key, services)
        target = database_target(_unquote(value), repo)
        if service is not None and target is not None:
            yield DatabaseUse(service.name, path, line_number, key, target)


def _unquote(value: str) -> str:
    value = value.strip()
    if value[:1] in {'"', "'"}:
        return value[1:].split(value[0], 1)[0]
    return value.split(" #", 1)[0].strip()


def _service_by_prefix(key: str, services: Sequence[Service]) -> Service | None:
    for service in services:
        if key.upper() == f"{service.env_prefix.upper()}DATABASE_URL":
            return service
    return None


def _service_by_name(name: str, services: Sequence[Service], *, database: bool) -> Service | None:
    wanted = {name.lower().replace("-", "_")}
    if database:
        base = next(iter(wanted))
        wanted |= {base.removesuffix(s) for s in _DB_SUFFIXES if base.endswith(s)}
        wanted |= {base.removeprefix(p) for p in _DB_PREFIXES if base.startswith(p)}
    for service in services:
        if {service.name.replace("-", "_"), service.package} & wanted:
            return service
    return None


def _compose_files(repo: Path) -> list[Path]:
    return sorted({p for pattern in _COMPOSE_PATTERNS for p in repo.glob(pattern) if p.is_file()})


def _compose_uses(repo: Path, path: Path, services: Sequence[Service]) -> Iterator[DatabaseUse]:
    try:
        root = yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return
    for name, environment in _compose_environments(root):
        by_name = _service_by_name(name, services, database=False)
        server: dict[str, tuple[str, int]] = {}
        for key, value, line in environment:
            if key.upper().endswith("DATABASE_URL"):
                service = _service_by_prefix(key, services) or by_name
                target = database_target(value, repo)
                if service is not None and target is not None:
                    yield DatabaseUse(service.name, path, line, f"{name} {key}", target)
            elif key in {"POSTGRES_USER", "POSTGRES_DB"}:
                server[key] = (value, line)
        owner = _service_by_name(name, services, database=True)
        if server and owner is not None:
            yield from _server_uses(path, name, server, owner)


def _server_uses(
    path: Path, host: str, server: dict[str, tuple[str, int]], owner: Service
) -> Iterator[DatabaseUse]:
    """The database and role a PostgreSQL container creates, named after the service it serves;
    its own name is the host other containers reach it by."""
    first_line = min(line for _, line in server.values())
    user, user_line = server.get("POSTGRES_USER", ("postgres", first_line))
    database, database_line = server.get("POSTGRES_DB", (user, first_line))
    address = ("postgresql", host.lower(), "5432")
    source = f"{host} container"
    yield DatabaseUse(
        owner.name,
        path,
        database_line,
        source,
        DatabaseTarget((*address, database), None, f"POSTGRES_DB={database}"),
    )
    yield DatabaseUse(
        owner.name,
        path,
        user_line,
        source,
        DatabaseTarget(None, (*address, user), f"POSTGRES_USER={user}"),
    )


_EnvEntry = tuple[str, str, int]


def _compose_environments(root: yaml.Node | None) -> Iterator[tuple[str, list[_EnvEntry]]]:
    """(compose service name, [(key, value, line)]) for each service of a compose file."""
    services = _mapping_get(root, "services")
    for key_node, service_node in _mapping_items(services):
        environment = _mapping_get(service_node, "environment")
        entries: list[_EnvEntry] = []
        if isinstance(environment, yaml.SequenceNode):
            for item in environment.value:
                key, separator, value = str(item.value).partition("=")
                if separator:
                    entries.append((key.strip(), value.strip(), item.start_mark.line + 1))
        for entry_key, entry_value in _mapping_items(environment):
            value = str(entry_value.value) if isinstance(entry_value, yaml.ScalarNode) else ""
            entries.append((str(entry_key.value), value, entry_key.start_mark.line + 1))
        yield str(key_node.value), entries


def _mapping_items(node: yaml.Node | None) -> list[tuple[yaml.Node, yaml.Node]]:
    """The entries of a mapping, with YAML merge keys (``<<: *anchor``) spliced in."""
    if not isinstance(node, yaml.MappingNode):
        return []
    items: list[tuple[yaml.Node, yaml.Node]] = []
    for key, value in node.value:
        if key.tag == "tag:yaml.org,2002:merge":
            merged = value.value if isinstance(value, yaml.SequenceNode) else [value]
            for source in merged:
                items.extend(_mapping_items(source))
        else:
            items.append((key, value))
    return items


def _mapping_get(node: yaml.Node | None, key: str) -> yaml.Node | None:
    for key_node, value_node in _mapping_items(node):
        if key_node.value == key:
            return value_node
    return None
