"""Find the workspace and the services in it.

A service is a folder under ``<repo>/services/``. Its names come from its record (the
``[tool.mkservice]`` table of its pyproject.toml, :mod:`mkservice.record`); without one, the folder
name is the slug and the package is the slug with dashes turned into underscores.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from chassis import naming

from mkservice.record import read_service


@dataclass(frozen=True)
class Service:
    """One service of the workspace, with absolute paths."""

    name: str
    package: str
    root: Path

    @property
    def env_prefix(self) -> str:
        return naming.env_prefix(self.name)

    @property
    def src(self) -> Path:
        return self.root / "src"

    @property
    def package_dir(self) -> Path:
        return self.src / self.package

    @property
    def migrations(self) -> Path:
        return self.root / "migrations"

    @property
    def tests(self) -> Path:
        return self.root / "tests"


def discover_services(repo: Path) -> list[Service]:
    """Every service under ``repo/services``, sorted by name.

    Raises ``FileNotFoundError`` when ``repo`` has no ``services`` folder.
    """
    services_dir = repo / "services"
    if not services_dir.is_dir():
        raise FileNotFoundError(f"{repo} has no services/ folder")
    found = []
    for folder in sorted(services_dir.iterdir()):
        if _is_service_folder(folder):
            found.append(_read_service(folder))
    return sorted(found, key=lambda service: service.name)


def _is_service_folder(folder: Path) -> bool:
    if not folder.is_dir() or folder.name.startswith((".", "_")):
        return False
    return (folder / "pyproject.toml").is_file() or (folder / "src").is_dir()


def _read_service(folder: Path) -> Service:
    # Forgiving: a folder without a record is still checked, under the names its folder (or its
    # only package) implies; a record lacking a port still names the service.
    service = read_service(folder)
    if service is not None and service.recorded:
        return Service(name=service.name, package=service.package, root=folder.resolve())
    package = _package_in_src(folder) or folder.name.replace("-", "_")
    return Service(name=folder.name, package=package, root=folder.resolve())


def _package_in_src(folder: Path) -> str | None:
    """The only package under ``src/``, when the folder name does not give it."""
    expected = folder.name.replace("-", "_")
    src = folder / "src"
    if not src.is_dir() or (src / expected).is_dir():
        return None
    packages = [p.name for p in src.iterdir() if p.is_dir() and (p / "__init__.py").is_file()]
    return packages[0] if len(packages) == 1 else None
