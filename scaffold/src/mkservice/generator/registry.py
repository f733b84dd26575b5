"""The port registry, and every other fact about the services, found by discovery.

Nothing lists the services centrally: each ``services/<slug>/pyproject.toml`` carries a
``[tool.mkservice]`` table (port, package, env_prefix, stream, template_version), written by the
template. Reading every such table gives the registry; removing a folder removes its entry.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from mkservice.generator.errors import Refused
from mkservice.generator.naming import ServiceNames, derive_names, installed_module

FIRST_PORT = 8001
MIN_PORT, MAX_PORT = 1024, 65535
_LOCK_PACKAGE = re.compile(r'^name = "(?P<name>[^"]+)"$.*?^source = \{ (?P<source>[^}]*) \}$',
                           re.MULTILINE | re.DOTALL)  # fmt: skip


@dataclass(frozen=True)
class RegisteredService:
    """One folder under ``services/`` and what its ``[tool.mkservice]`` table says."""

    slug: str
    path: Path
    package: str
    port: int | None
    env_prefix: str
    stream: str
    template_version: str | None
    problem: str | None = None

    @property
    def database_env(self) -> str:
        return f"{self.env_prefix}DATABASE_URL"


def read_registry(root: Path) -> list[RegisteredService]:
    """Every service folder under ``root/services`` (sorted by folder name).

    A folder without a pyproject.toml is not a service; one whose table is missing or malformed
    is listed with a ``problem`` and the names its folder implies, so nothing crashes on it.
    """
    services_dir = root / "services"
    if not services_dir.is_dir():
        return []
    found = []
    for folder in sorted(services_dir.iterdir()):
        pyproject = folder / "pyproject.toml"
        if folder.name.startswith((".", "_")) or not pyproject.is_file():
            continue
        found.append(_read_service(folder, pyproject))
    return found


def _read_service(folder: Path, pyproject: Path) -> RegisteredService:
    implied = derive_names(folder.name)
    problem = None
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
        table = data.get("tool", {}).get("mkservice")
        if not isinstance(table, dict):
            table, problem = {}, "no [tool.mkservice] table in pyproject.toml"
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, OSError) as error:
        table, problem = {}, f"unreadable pyproject.toml ({error})"
    port = table.get("port")
    if port is not None and not isinstance(port, int):
        port, problem = None, f"port {port!r} in [tool.mkservice] is not a number"
    template_version = table.get("template_version")
    return RegisteredService(
        slug=folder.name,
        path=folder,
        package=str(table.get("package") or implied.package),
        port=port,
        env_prefix=str(table.get("env_prefix") or implied.env_prefix),
        stream=str(table.get("stream") or implied.stream),
        template_version=None if template_version is None else str(template_version),
        problem=problem,
    )


def used_ports(services: list[RegisteredService]) -> dict[int, str]:
    """Port -> the service that has it."""
    return {service.port: service.slug for service in services if service.port is not None}


def allocate_port(used: Mapping[int, str]) -> int:
    """The first port from 8001 upward that no service uses."""
    port = FIRST_PORT
    while port in used:
        port += 1
    return port


def check_port(port: int, used: Mapping[int, str]) -> None:
    """Refuse a port outside 1024-65535 or one another service (or compose block) has."""
    if not MIN_PORT <= port <= MAX_PORT:
        raise Refused(f"Port {port} is outside {MIN_PORT}-{MAX_PORT}.")
    if port in used:
        raise Refused(f"Port {port} is already used by {used[port]}.")


def check_available(root: Path, names: ServiceNames, services: list[RegisteredService]) -> None:
    """Refuse a name that an existing service, distribution or importable module already has."""
    target = root / "services" / names.slug
    if target.exists() or target.is_symlink():
        raise Refused(f"The service {names.slug!r} already exists (services/{names.slug}).")
    for service in services:
        if names.package == service.package:
            raise Refused(
                f"The package {names.package} is already used by the service {service.slug!r}."
            )
        if names.stream == service.stream:
            raise Refused(f"The stream {names.stream} is already used by {service.slug!r}.")
    distribution = _locked_distributions(root).get(_normalize(names.slug))
    if distribution is not None:
        raise Refused(f"{names.slug!r} is already the name of the distribution {distribution}.")
    origin = installed_module(names.package, root)
    if origin is not None:
        raise Refused(f"{names.slug!r} would shadow the installed module {names.package}.")


def _locked_distributions(root: Path) -> dict[str, str]:
    """Normalized name -> name of every distribution in uv.lock, except service folders (a
    service removed by hand stays in the lock until the next ``uv lock``)."""
    lock = root / "uv.lock"
    try:
        text = lock.read_text(encoding="utf-8")
    except OSError:
        return {}
    found = {}
    for block in text.split("[[package]]")[1:]:
        match = _LOCK_PACKAGE.search(block)
        if match is None:
            continue
        name, source = match["name"], match["source"]
        if re.search(r'(editable|virtual|directory) = "services/', source):
            continue
        found[_normalize(name)] = name
    return found


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()
