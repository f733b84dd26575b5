"""The git-ignored ``.env`` at the workspace root: the passwords and client secrets compose and the
init scripts read (docs/adr/0025-least-privilege-roles-and-secrets.md), Keycloak's included
(:mod:`mkservice.generator.keycloak_realm`).

Which variables it must hold follows from the services found (:func:`required_variables`, from
the registry), so ``mkservice secrets``, ``new`` and ``remove`` agree without a list of their own.
Extending it only appends: existing values, comments and other lines stay exactly as they were.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from chassis import naming

from mkservice.generator import keycloak_realm
from mkservice.generator.atomic import write_atomically
from mkservice.record import read_registry

ENV_FILE = ".env"
# Only its owner may read it: it holds every password of the stack.
ENV_FILE_MODE = 0o600
# The PostgreSQL superuser's, for the init scripts and an operator.
SUPERUSER_PASSWORD = "POSTGRES_PASSWORD"
# Keycloak's (the realm `checkout` of both compose files): its admin's, the client secrets of
# checkout-operator and prometheus, the demo customer's.
KEYCLOAK_VARIABLES = keycloak_realm.VARIABLES
# Each service's: its runtime role, its migrator role, its NATS user.
SERVICE_SECRETS = ("DB_PASSWORD", "MIGRATOR_DB_PASSWORD", "NATS_PASSWORD")
HEADER = (
    "# Written by `mkservice secrets`: the stack's passwords and client secrets, read by\n"
    "# docker compose and the services' deploy/postgres-init.sql. Git-ignored; never commit it\n"
    "# (ADR 0025).\n"
)
# What compose's .env accepts and we keep: `NAME=value`, optionally after `export `.
_ASSIGNMENT = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=(.*)$")


class EnvFileError(ValueError):
    """The ``.env`` cannot be read as ``NAME=value`` lines; the message names the line."""


@dataclass(frozen=True)
class Extension:
    """What extending ``.env`` did (or would do): the variables it added, in order."""

    path: Path
    added: tuple[str, ...]
    created: bool


def service_variables(service: str) -> list[str]:
    """The password variables of one service, e.g. ``ORDERS_DB_PASSWORD``."""
    prefix = naming.env_prefix(service)
    return [f"{prefix}{secret}" for secret in SERVICE_SECRETS]


def required_variables(root: Path) -> list[str]:
    """Every password variable the workspace's compose files and init scripts read: the
    superuser's, Keycloak's, then each recorded service's, in name order."""
    services = sorted(service.name for service in read_registry(root) if service.recorded)
    per_service = (v for name in services for v in service_variables(name))
    return [SUPERUSER_PASSWORD, *KEYCLOAK_VARIABLES, *per_service]


def defined_variables(text: str, source: str = ENV_FILE) -> dict[str, str]:
    """Name -> raw value of each assignment in ``text``; raises :class:`EnvFileError` on a line
    that is neither blank, a comment, nor ``NAME=value``."""
    found: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = _ASSIGNMENT.match(line)
        if match is None:
            raise EnvFileError(f"line {number} of {source} is not NAME=value")
        found[match.group(1)] = match.group(2).strip()
    return found


def missing_variables(root: Path, variables: Iterable[str]) -> list[str]:
    """Those of ``variables`` that ``root/.env`` does not set (all, without a file). An empty
    value counts as set: someone wrote it so, and only they know why."""
    path = root / ENV_FILE
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    defined = defined_variables(text)
    return [name for name in variables if name not in defined]


def extend(
    root: Path,
    variables: Iterable[str],
    *,
    write: bool = True,
    token: Callable[[], str] = lambda: secrets.token_urlsafe(24),
) -> Extension:
    """Append a random value to ``root/.env`` for each of ``variables`` it lacks, creating the
    file when there is none; written all at once, mode 0600. Nothing is written when nothing is
    missing, or when ``write`` is false. Raises :class:`EnvFileError` on an unreadable file.

    The values are URL-safe (letters, digits, ``-``, ``_``): they go into database URLs, the
    nats-server config and psql unquoted."""
    path = root / ENV_FILE
    existed = path.is_file()
    text = path.read_text(encoding="utf-8") if existed else ""
    defined = defined_variables(text)
    added = tuple(dict.fromkeys(name for name in variables if name not in defined))
    if added and write:
        if not existed:
            text = HEADER
        elif not text.endswith("\n"):
            text += "\n"
        text += "".join(f"{name}={token()}\n" for name in added)
        write_atomically(path, text, mode=ENV_FILE_MODE)
    return Extension(path, added, created=bool(added) and not existed)
