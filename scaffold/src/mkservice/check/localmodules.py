"""Python modules that live in the repo but belong to no service and not to the chassis.

These are where "shared" code hides: a ``common`` package at the root, a ``libs/`` folder, a
``src/`` tree. Services, the chassis (``platform/``), the generator (``scaffold/``) and the
workspace's own tests and docs are not shared modules.
"""

from __future__ import annotations

from pathlib import Path

_NOT_SHARED = frozenset(
    {"platform", "services", "scaffold", "tests", "docs", "migrations", "node_modules"}
)
_LIBRARY_FOLDERS = ("libs", "lib", "packages", "shared", "common", "src")
_NOT_MODULES = frozenset({"conftest", "setup", "noxfile"})


def find_local_modules(repo: Path) -> dict[str, Path]:
    """Top-level import name -> its file or folder, for every shared module in ``repo``."""
    found: dict[str, Path] = {}
    for folder in (repo, *(repo / name for name in _LIBRARY_FOLDERS)):
        if folder.is_dir():
            for name, location in _modules_in(folder, at_root=folder == repo).items():
                found.setdefault(name, location)
    for library in (repo / name for name in _LIBRARY_FOLDERS):
        # libs/<distribution>/src/<package>: a workspace member with a src layout.
        for src in sorted(library.glob("*/src")) if library.is_dir() else ():
            for name, location in _modules_in(src, at_root=False).items():
                found.setdefault(name, location)
    return found


def _modules_in(folder: Path, *, at_root: bool) -> dict[str, Path]:
    modules: dict[str, Path] = {}
    for entry in sorted(folder.iterdir()):
        name = entry.stem if entry.is_file() else entry.name
        if name.startswith((".", "_")) or name in _NOT_MODULES:
            continue
        if at_root and name in _NOT_SHARED:
            continue
        is_module = entry.is_file() and entry.suffix == ".py"
        is_package = entry.is_dir() and name.isidentifier() and _holds_python(entry)
        if is_module or is_package:
            modules[name] = entry
    return modules


def _holds_python(folder: Path) -> bool:
    # A regular package, or a namespace package with modules directly inside.
    return (folder / "__init__.py").is_file() or any(folder.glob("*.py"))
