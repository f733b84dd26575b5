"""The port registry and the names already taken, found by discovery.

Nothing lists the services centrally: each service's record (``[tool.mkservice]`` in its
pyproject.toml, read by :mod:`mkservice.record`) gives its port and package. Reading every
record gives the registry; removing a folder removes its entry.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path

from packaging.utils import canonicalize_name

from mkservice.generator.errors import Refused
from mkservice.generator.naming import ServiceNames, installed_module
from mkservice.record import RegisteredService

FIRST_PORT = 8001
MIN_PORT, MAX_PORT = 1024, 65535
LOCK_FILE = "uv.lock"


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
    distribution = _locked_distributions(root).get(canonicalize_name(names.slug))
    if distribution is not None:
        raise Refused(f"{names.slug!r} is already the name of the distribution {distribution}.")
    origin = installed_module(names.package, root)
    if origin is not None:
        raise Refused(f"{names.slug!r} would shadow the installed module {names.package}.")


def _locked_distributions(root: Path) -> dict[str, str]:
    """Normalized name -> name of every distribution in uv.lock, except service folders (a
    service removed by hand stays in the lock until the next ``uv lock``)."""
    return {
        canonicalize_name(name): name
        for name, source in locked_packages(root).items()
        if not _is_service_source(source)
    }


def locked_packages(root: Path) -> dict[str, dict[str, object]]:
    """Name -> source table of every package uv.lock holds (empty when there is no lock)."""
    try:
        data = tomllib.loads((root / LOCK_FILE).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return {}
    return {
        str(package["name"]): dict(package.get("source") or {})
        for package in data.get("package", [])
        if isinstance(package, dict) and "name" in package
    }


def _is_service_source(source: Mapping[str, object]) -> bool:
    """Whether a lock entry's source is a folder under ``services/``."""
    return any(
        str(source.get(kind, "")).startswith("services/")
        for kind in ("editable", "virtual", "directory")
    )
