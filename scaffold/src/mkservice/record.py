"""A service's record: the ``[tool.mkservice]`` table of its ``pyproject.toml``, and its one reader.

The record is the only place that says which folders are services and what mkservice must know
of each; each fact is written once::

    [tool.mkservice]
    service = "orders"          # its name: the env prefix, stream and subjects follow from it
    package = "orders"          # its import name (python -m orders serve)
    port = 8001                 # its HTTP port: compose and the stack set ORDERS_PORT from it
    template_version = "1"      # the template it was generated from

The environment prefix (``ORDERS_``) and the stream (``ORDERS``) are derived from the name
(:mod:`chassis.naming`, as the service's own settings derive them), never written down. The
``.mkservice.json`` beside it holds the generation's provenance (template, inputs) and the
service's NATS grant, not these facts.

Nothing lists the services centrally: reading every record gives the registry
(:func:`read_registry`), so removing a folder removes its entry. ``mkservice list``, ``new``,
``remove``, ``check`` and the stack (``up``) all read services here.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chassis import naming

PYPROJECT = "pyproject.toml"
TABLE = "[tool.mkservice]"
REQUIRED_KEYS = ("service", "package", "port")
KNOWN_KEYS = frozenset({*REQUIRED_KEYS, "template_version"})
# Keys older records held, now derived: a value written there would be a second source.
DERIVED_KEYS = ("env_prefix", "stream")


@dataclass(frozen=True)
class RegisteredService:
    """One folder under ``services/`` and what its record says.

    A record that is missing or malformed still gives a service (``recorded`` false, or a
    ``problem`` saying what is wrong), with the names its folder implies, so nothing that lists
    services crashes on it; what runs a service (the stack) refuses it instead.
    """

    slug: str  # the folder's name
    path: Path
    name: str  # the record's ``service`` (the folder's name when it has none)
    package: str
    port: int | None
    template_version: str | None
    recorded: bool = True
    problem: str | None = None

    @property
    def pyproject(self) -> Path:
        return self.path / PYPROJECT

    @property
    def env_prefix(self) -> str:
        """``ORDERS_``: every environment variable of the service starts with it."""
        return naming.env_prefix(self.name)

    @property
    def stream(self) -> str:
        """``ORDERS``: the JetStream stream the service owns."""
        return naming.stream_name(self.name)

    @property
    def subjects(self) -> str:
        """``orders.>``: the subjects of its stream."""
        return naming.stream_subjects(self.name)[0]

    @property
    def database_env(self) -> str:
        return self.env_name("database_url")

    def env_name(self, setting: str) -> str:
        """The environment variable the service reads ``setting`` from, e.g. ``ORDERS_PORT``."""
        return f"{self.env_prefix}{setting.upper()}"


def read_registry(root: Path) -> list[RegisteredService]:
    """Every service folder under ``root/services`` (sorted by folder name): each folder with a
    pyproject.toml, except hidden and private ones (``.mkservice-tmp-*``, ``_old``)."""
    services_dir = root / "services"
    if not services_dir.is_dir():
        return []
    found = []
    for folder in sorted(services_dir.iterdir()):
        if folder.is_dir() and not folder.name.startswith((".", "_")):
            service = read_service(folder)
            if service is not None:
                found.append(service)
    return found


def read_service(folder: Path) -> RegisteredService | None:
    """The service in ``folder``, or ``None`` when it has no pyproject.toml (not a service)."""
    pyproject = folder / PYPROJECT
    if not pyproject.is_file():
        return None
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, OSError) as error:
        return _implied(folder, problem=f"unreadable {PYPROJECT} ({error})")
    table = data.get("tool", {}).get("mkservice")
    if table is None:
        return _implied(folder, recorded=False, problem=f"no {TABLE} table in {PYPROJECT}")
    if not isinstance(table, dict):
        return _implied(folder, recorded=False, problem=f"{TABLE} in {PYPROJECT} is not a table")
    return _recorded(folder, table)


def _recorded(folder: Path, table: dict[str, Any]) -> RegisteredService:
    implied = _implied(folder)
    problems = []
    missing = [key for key in REQUIRED_KEYS if key not in table]
    if missing:
        problems.append(f"{TABLE} lacks {', '.join(missing)}")
    derived = [key for key in DERIVED_KEYS if key in table]
    if derived:
        them = "them" if len(derived) > 1 else "it"
        problems.append(
            f"{TABLE} sets {' and '.join(derived)}, which the service's name gives "
            f"(chassis.naming): remove {them}"
        )
    unknown = sorted(set(table) - KNOWN_KEYS - set(DERIVED_KEYS))
    if unknown:
        problems.append(f"{TABLE} has unknown keys {', '.join(unknown)}")
    port = table.get("port")
    if port is not None and (not isinstance(port, int) or isinstance(port, bool)):
        problems.append(f"port {port!r} in {TABLE} is not a number")
        port = None
    version = table.get("template_version")
    return RegisteredService(
        slug=folder.name,
        path=folder,
        name=str(table.get("service") or implied.name),
        package=str(table.get("package") or implied.package),
        port=port,
        template_version=None if version is None else str(version),
        problem="; ".join(problems) or None,
    )


def _implied(
    folder: Path, *, recorded: bool = True, problem: str | None = None
) -> RegisteredService:
    """The service the folder's name implies (``order-history``: package ``order_history``)."""
    return RegisteredService(
        slug=folder.name,
        path=folder,
        name=folder.name,
        package=folder.name.replace("-", "_"),
        port=None,
        template_version=None,
        recorded=recorded,
        problem=problem,
    )
