"""The ``--database-url SERVICE=URL`` values of ``mkservice up``: read, checked, and each SQLite
file put where the person who typed it expects it.

A service runs with the workspace root as its current folder, and the chassis creates a SQLite
file's missing folders. So ``sqlite:///tmp/x.db`` (three slashes: a relative path) would land in
``<workspace>/tmp/x.db``, and a mistyped absolute folder would be created wherever it points.
Here a relative path is read from the folder the command runs in, and the service is given the
absolute path (and the person is told it); a file whose folder does not exist is refused, unless
it lies in one of the stack's own folders (its data folder), which are created as needed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from chassis.settings import normalize_database_url
from sqlalchemy.engine import make_url

# SQLite databases that are no file: nothing to place.
_NOT_A_FILE = {"", ":memory:"}


class DatabaseUrlRefused(ValueError):
    """A ``--database-url`` cannot be used; the message is one sentence, naming the service."""


@dataclass(frozen=True)
class GivenDatabase:
    """One service's database as given: the URL it gets, and what to tell the person, if any."""

    url: str
    note: str | None = None


def read_database_urls(
    pairs: Sequence[str], *, cwd: Path, data_dir: Path, run_dir: Path
) -> dict[str, GivenDatabase]:
    """``["orders=postgresql://..."]`` as ``{"orders": GivenDatabase(...)}``; each URL checked
    and each SQLite path made absolute (relative ones read from ``cwd``).

    Raises :class:`DatabaseUrlRefused` for a value that is not ``SERVICE=URL``, a URL the chassis
    cannot run, and a SQLite file whose folder does not exist, unless it lies inside the stack's
    ``data_dir`` or ``run_dir`` (created as needed).
    """
    folders = [data_dir.resolve(), run_dir.resolve()]
    given: dict[str, GivenDatabase] = {}
    for pair in pairs:
        service, sep, url = (part.strip() for part in pair.partition("="))
        if not sep or not service or not url:
            raise DatabaseUrlRefused(f"--database-url {pair!r} is not SERVICE=URL")
        try:
            driver = normalize_database_url(url).partition(":")[0]
        except ValueError as error:
            raise DatabaseUrlRefused(f"the --database-url of {service}: {error}") from None
        given[service] = (
            _sqlite_file(service, url, cwd, folders)
            if driver.startswith("sqlite")
            else GivenDatabase(url)
        )
    return given


def _sqlite_file(service: str, raw: str, cwd: Path, own_folders: list[Path]) -> GivenDatabase:
    url = make_url(raw)
    database = url.database or ""
    if database in _NOT_A_FILE or database.startswith("file:"):
        return GivenDatabase(raw)  # in memory, or a SQLite URI the driver reads itself
    written = Path(database).expanduser()
    path = (cwd / written).resolve() if not written.is_absolute() else written.resolve()
    inside_own = any(path.is_relative_to(folder) for folder in own_folders)
    if not path.parent.is_dir() and not inside_own:
        if written.is_absolute():
            raise DatabaseUrlRefused(
                f"the folder {path.parent} of the SQLite file given for {service} does not "
                f"exist (create it first, or put the file inside {own_folders[0]})"
            )
        absolute = url.set(database=f"/{database}").render_as_string(hide_password=False)
        raise DatabaseUrlRefused(
            f"the SQLite file given for {service}, {database}, is a relative path, read from "
            f"{cwd} as {path}, whose folder does not exist (create it first, put the file inside "
            f"{own_folders[0]}, or write four slashes for an absolute path: {absolute})"
        )
    placed = url.set(database=str(path)).render_as_string(hide_password=False)
    if written.is_absolute():
        return GivenDatabase(placed)
    return GivenDatabase(
        placed, note=f"{service}: SQLite file {path} (the relative path {database}, from {cwd})"
    )
