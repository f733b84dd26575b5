"""What a database URL points at: which database, as which role, shown without its password."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

_BACKENDS = frozenset(
    {"sqlite", "postgresql", "postgres", "mysql", "mariadb", "mssql", "oracle", "cockroachdb"}
)
_DEFAULT_PORTS = {"postgresql": 5432, "mysql": 3306, "mariadb": 3306, "mssql": 1433, "oracle": 1521}
_LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1", "0.0.0.0"})
_IN_MEMORY = frozenset({"", ":memory:"})


@dataclass(frozen=True)
class DatabaseTarget:
    """The identity of the database a URL names, and of the role it connects as."""

    database: tuple[str, ...] | None
    role: tuple[str, ...] | None
    shown: str


def looks_like_database_url(text: str) -> bool:
    """True when ``text`` starts with a database scheme such as ``postgresql+asyncpg://``."""
    scheme, separator, _ = text.strip().partition("://")
    return bool(separator) and scheme.split("+")[0].lower() in _BACKENDS


def database_target(raw: str, repo: Path) -> DatabaseTarget | None:
    """Where ``raw`` connects, or None when it is no database URL or a private in-memory one.

    SQLite is identified by its file, relative paths taken from the repo root (where services are
    run from); servers by (backend, host, port, database) and the role by (backend, host, port,
    user), loopback addresses counting as one host.
    """
    if not looks_like_database_url(raw):
        return None
    try:
        url = make_url(raw.strip())
    except (ArgumentError, ValueError):
        return None
    backend = "postgresql" if url.get_backend_name() == "postgres" else url.get_backend_name()
    shown = unquote(url.render_as_string(hide_password=True))
    if backend == "sqlite":
        return _sqlite_target(url, repo, shown)
    host = (url.host or "localhost").lower()
    host = "localhost" if host in _LOOPBACK else host
    port = str(url.port or _DEFAULT_PORTS.get(backend) or "")
    database = url.database or (url.username if backend == "postgresql" else None) or ""
    role = (backend, host, port, url.username) if url.username else None
    return DatabaseTarget((backend, host, port, database), role, shown)


def _sqlite_target(url: URL, repo: Path, shown: str) -> DatabaseTarget | None:
    path = url.database or ""
    if path in _IN_MEMORY or path.startswith("file::memory:") or url.query.get("mode") == "memory":
        return None
    # Do not resolve symlinks: the same spelling is the same file, which is all a check can know.
    absolute = os.path.normpath(path if os.path.isabs(path) else repo / path)
    return DatabaseTarget(("sqlite", absolute), None, shown)


def describe_database(database: tuple[str, ...], repo: Path) -> str:
    """A short name for a database: a repo-relative SQLite file, or host:port/database."""
    if database[0] == "sqlite":
        path = Path(database[1])
        shown = path.relative_to(repo) if path.is_relative_to(repo) else path
        return f"SQLite file {shown.as_posix()}"
    backend, host, port, name = database
    return f"{backend} database {host}:{port}/{name}"


def describe_role(role: tuple[str, ...]) -> str:
    """A short name for a role: user@host:port."""
    backend, host, port, user = role
    return f"{backend} role {user}@{host}:{port}"
