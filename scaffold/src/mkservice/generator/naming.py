"""A service's names, all derived from the one the user types, and the rules they must follow.

``order-history`` gives the folder ``services/order-history``, the distribution
``order-history``, the package ``order_history``, the classes ``OrderHistory*``, the environment
prefix ``ORDER_HISTORY_``, the JetStream stream ``ORDER_HISTORY`` (subjects ``order-history.>``,
which NATS accepts) and the PostgreSQL role and database ``order_history``.
"""

from __future__ import annotations

import keyword
import re
import sys
from dataclasses import dataclass
from importlib.machinery import PathFinder
from pathlib import Path

from chassis import naming

from mkservice.generator.errors import Refused

MAX_LENGTH = 40
# The standard library's module names; `test` (CPython's own test package) ships with it too.
STDLIB_MODULES = frozenset(sys.stdlib_module_names) | {"test"}
NAME_PATTERN = re.compile(r"[a-z][a-z0-9]*(-[a-z0-9]+)*")

# Names the workspace itself uses, and the containers the stack runs beside the services.
RESERVED = {
    "chassis": "the service chassis package",
    "mkservice": "the generator's own package",
    "tests": "the workspace's cross-service tests folder",
    "scaffold": "the generator's folder",
    "services": "the folder that holds every service",
    "nats": "the message broker's container in docker-compose.yml",
    "postgres": "the database server's container and superuser",
    "otel-collector": "the OpenTelemetry Collector's container in docker-compose.yml",
    "jaeger": "the trace UI's container in docker-compose.yml",
    "prometheus": "the metrics server's container in docker-compose.yml",
    "keycloak": "the OpenID Connect provider's container in docker-compose.yml",
    "console": "the saga console the local stack runs (its settings are CONSOLE_*)",
}

# PostgreSQL's reserved key words (and role names it refuses): the package names the service's
# role and database unquoted in deploy/postgres-init.sql, so these would break that script.
_POSTGRES_WORDS = """
    all analyse analyze and any array as asc asymmetric authorization binary both case cast
    check collate collation column concurrently constraint create cross current_catalog
    current_date current_role current_schema current_time current_timestamp current_user default
    deferrable desc distinct do else end except false fetch for foreign freeze from full grant
    group having ilike in initially inner intersect into is isnull join lateral leading left like
    limit localtime localtimestamp natural none not notnull null offset on only or order outer
    overlaps placing primary public references returning right select session_user similar some
    symmetric system_user table tablesample template0 template1 then to trailing true union
    unique user using variadic verbose when where window with
"""
POSTGRES_RESERVED = frozenset(_POSTGRES_WORDS.split())


@dataclass(frozen=True)
class ServiceNames:
    """Every name of one service."""

    slug: str
    package: str
    class_prefix: str

    @property
    def env_prefix(self) -> str:
        return naming.env_prefix(self.slug)

    @property
    def stream(self) -> str:
        return naming.stream_name(self.slug)

    @property
    def database_env(self) -> str:
        return f"{self.env_prefix}DATABASE_URL"


def derive_names(slug: str) -> ServiceNames:
    """The names of the service ``slug`` (assumed valid; see :func:`validate_name`)."""
    package = slug.replace("-", "_")
    # The same expressions as the template's cookiecutter.json, so both always agree; the env
    # prefix and the stream are the chassis's (chassis.naming), as the service's settings say.
    return ServiceNames(slug=slug, package=package, class_prefix=package.title().replace("_", ""))


def validate_name(name: str) -> ServiceNames:
    """The names of the service ``name``, or :class:`Refused` with one sentence saying why not.

    Only rules that hold in any workspace are checked here; see ``registry`` for the rest.
    """
    if not name.strip():
        raise Refused("The service name is empty; give one such as shipping or order-history.")
    if "/" in name or "\\" in name or name.startswith(".") or Path(name).is_absolute():
        raise Refused(
            f"{name!r} is a path, not a service name; give a bare name such as order-history."
        )
    if len(name) > MAX_LENGTH:
        raise Refused(f"{name!r} has {len(name)} characters; a service name has at most 40.")
    if not NAME_PATTERN.fullmatch(name):
        raise Refused(
            f"{name!r} is not a valid service name: use lower-case letters, digits and single "
            "dashes, starting with a letter, such as order-history."
        )
    names = derive_names(name)
    package = names.package
    if keyword.iskeyword(name) or keyword.iskeyword(package):
        raise Refused(f"{name!r} is a Python keyword, so it cannot name a package.")
    if name in RESERVED or package in RESERVED:
        reason = RESERVED.get(name) or RESERVED[package]
        raise Refused(f"{name!r} is reserved in this workspace ({reason}).")
    if package in STDLIB_MODULES:
        raise Refused(f"{name!r} would shadow the standard-library module {package}.")
    if package in POSTGRES_RESERVED or package.startswith("pg_"):
        raise Refused(
            f"{name!r} is reserved by PostgreSQL, which names the service's role and database "
            f"{package}."
        )
    return names


def installed_module(package: str, workspace: Path) -> str | None:
    """Where an importable top-level module named ``package`` lives, if one does.

    The current folder and the workspace's own folders are left out of the search: a folder
    such as ``docs/`` is not a module, and the services are checked against the registry.
    """
    skipped = {"", ".", str(Path.cwd()), str(workspace)}
    search_path = [entry for entry in sys.path if entry not in skipped]
    spec = PathFinder.find_spec(package, search_path)
    if spec is None or spec.origin in (None, "namespace"):
        return None
    origin = Path(spec.origin)
    if (workspace / "services") in origin.parents:
        return None
    return str(origin)
