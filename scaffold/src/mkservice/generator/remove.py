"""``mkservice remove NAME...``, the mirror of ``new``: plan (check everything, write nothing),
then apply atomically.

A service is taken out of every place ``new`` put it: its folder, its docker-compose.yml block
and init-script mount (and its blocks and mount in docker-compose.cluster.yml), its NATS user
(the users are rendered again from the blocks left), its workspace entry (when the root
pyproject.toml lists it by name rather than by ``services/*``) and uv.lock. Apply moves the
folders aside into a temporary folder at the workspace root (the same filesystem, so an atomic
rename each way; not under ``services/``, whose ``services/*`` glob would make it a member),
then, holding backups of both compose files, the root pyproject.toml and uv.lock, writes them
and runs ``uv lock``. Any failure, Ctrl-C or SIGTERM before the end puts everything back; only
after the lock is written are the folders deleted.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from mkservice.generator import compose, compose_cluster, compose_file, registry, tools
from mkservice.generator.atomic import (
    TEMP_PREFIX,
    Backup,
    interrupts_ignored,
    terminate_as_interrupt,
    write_atomically,
)
from mkservice.generator.compose import ComposeChange
from mkservice.generator.errors import GenerationFailed, Refused
from mkservice.generator.naming import NAME_PATTERN
from mkservice.record import RegisteredService, read_registry
from mkservice.stack.nats_auth import GrantError, read_grant

WORKSPACE_FILE = "pyproject.toml"


@dataclass(frozen=True)
class Removal:
    """What removing one service takes out."""

    slug: str
    folder: Path | None  # None: the folder is gone already (removed by hand)
    compose_block: bool
    init_mounts: tuple[str, ...]
    workspace_entry: bool


@dataclass(frozen=True)
class RemovalPlan:
    """Everything ``mkservice remove`` will do, decided before anything is written."""

    root: Path
    removals: tuple[Removal, ...]
    compose: ComposeChange
    cluster: ComposeChange  # docker-compose.cluster.yml
    workspace_text: str | None  # the root pyproject.toml's new text, when its members change
    uv: str

    @property
    def slugs(self) -> list[str]:
        return [removal.slug for removal in self.removals]


@dataclass
class RemovalOutcome:
    plan: RemovalPlan
    synced: bool | None = None
    notes: list[str] = field(default_factory=list)


def plan_removal(root: Path, names: list[str]) -> RemovalPlan:
    """Check that every name is a service nothing left behind depends on, and prepare every
    change. Raises :class:`Refused` (an unknown name, a dependent service) or
    :class:`GenerationFailed`; writes nothing."""
    slugs = list(dict.fromkeys(names))
    if not slugs:
        raise Refused("Name the services to remove, such as `mkservice remove shipping`.")
    services = {service.slug: service for service in read_registry(root)}
    blocks = set(compose_file.service_blocks(root))
    mounts = compose_file.init_mounts(root)
    removals = []
    workspace_text, listed = _workspace_without(root, slugs)
    for slug in slugs:
        if slug in compose_file.SINGLE_NODE.infrastructure:
            raise Refused(
                f"{slug!r} is part of the stack in {compose_file.COMPOSE_FILE}, not a service."
            )
        own_mounts = tuple(m for m in mounts if m.startswith(f"./services/{slug}/"))
        if NAME_PATTERN.fullmatch(slug) is None:
            raise Refused(f"There is no service {slug!r} to remove.")
        if not (slug in services or slug in blocks or own_mounts):
            raise Refused(f"There is no service {slug!r} to remove (no services/{slug}).")
        folder = services[slug].path if slug in services else None
        removals.append(Removal(slug, folder, slug in blocks, own_mounts, slug in listed))
    _refuse_dependents(root, [s for s in services.values() if s.slug not in slugs], set(slugs))
    change = compose.unregister_services(root, slugs)
    cluster = compose_cluster.unregister_from_cluster(root, slugs)
    return RemovalPlan(root, tuple(removals), change, cluster, workspace_text, tools.find_uv(root))


def _refuse_dependents(root: Path, kept: list[RegisteredService], removed: set[str]) -> None:
    """Refuse when a service that stays calls, consumes or depends on one that goes: its code
    would still talk to it, and its NATS grant would name a user that no longer exists."""
    for service in kept:
        try:
            grant = read_grant(service.path, service.slug)
        except GrantError as error:
            raise GenerationFailed(f"cannot read a service's NATS grant ({error}).") from None
        consumed = {subject.split(".", 1)[0] for subject in grant.consumes}
        for slug in sorted(removed):
            if slug in grant.calls or slug in consumed:
                raise Refused(
                    f"{service.slug} talks to {slug} (the nats section of "
                    f"services/{service.slug}/.mkservice.json): remove {service.slug} too, or "
                    f"take {slug} out of that section and run `mkservice nats-users` first."
                )
        wanted = _requirements(service.pyproject)
        for slug in sorted(removed):
            if canonicalize_name(slug) in wanted:
                raise Refused(
                    f"{service.slug} depends on the distribution {slug} "
                    f"(services/{service.slug}/pyproject.toml): remove {service.slug} too, or "
                    "drop that dependency first."
                )


def _requirements(pyproject: Path) -> set[str]:
    """The normalized names of the distributions a pyproject.toml's project depends on."""
    try:
        project = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("project", {})
    except (OSError, tomllib.TOMLDecodeError):
        return set()
    names: set[str] = set()
    for line in project.get("dependencies", []):
        try:
            names.add(canonicalize_name(Requirement(str(line)).name))
        except InvalidRequirement:
            continue
    return names


def _workspace_without(root: Path, slugs: list[str]) -> tuple[str | None, set[str]]:
    """The root pyproject.toml's text without the members that name ``slugs`` one by one
    (``"services/shipping"``; a ``services/*`` glob needs no edit), and which slugs it named.
    ``(None, set())`` when there is nothing to change."""
    path = root / WORKSPACE_FILE
    text = path.read_text(encoding="utf-8")
    members = _members(text)
    listed = {slug for slug in slugs if f"services/{slug}" in members}
    if not listed:
        return None, set()
    new_text = text
    for slug in listed:
        # One item of the members array, with the comma and blank that separate it.
        item = re.compile(rf'\s*"services/{re.escape(slug)}"\s*,?')
        new_text = item.sub("", new_text, count=1)
    new_text = re.sub(r",\s*\]", "]", new_text)
    old_data, new_data = tomllib.loads(text), tomllib.loads(new_text)
    kept = [m for m in members if m not in {f"services/{slug}" for slug in listed}]
    old_data["tool"]["uv"]["workspace"]["members"] = kept
    if _members(new_text) != kept or old_data != new_data:
        raise GenerationFailed(
            f"could not take {', '.join(sorted(listed))} out of the workspace members in "
            f"{WORKSPACE_FILE}: remove {'them' if len(listed) > 1 else 'it'} by hand."
        )
    return new_text, listed


def _members(text: str) -> list[str]:
    data = tomllib.loads(text)
    return list(data.get("tool", {}).get("uv", {}).get("workspace", {}).get("members", []))


def remove_services(plan: RemovalPlan, *, sync: bool, quiet: bool = False) -> RemovalOutcome:
    """Apply ``plan``; then bring the venv in line unless told not to."""
    outcome = RemovalOutcome(plan)
    aside = Path(tempfile.mkdtemp(prefix=TEMP_PREFIX, dir=plan.root))
    try:
        _apply(plan, aside)
    finally:
        with interrupts_ignored():
            shutil.rmtree(aside, ignore_errors=True)
    data_dir = plan.root / ".data"
    left = [f".data/{slug}.db" for slug in plan.slugs if (data_dir / f"{slug}.db").exists()]
    if left:
        outcome.notes.append(f"local data was kept: {', '.join(left)} (`make clean` removes it)")
    if sync:
        outcome.synced = tools.sync(plan.uv, plan.root, quiet=quiet)
        if not outcome.synced:
            outcome.notes.append("`uv sync --all-packages` failed: run `make bootstrap` again")
    return outcome


def _apply(plan: RemovalPlan, aside: Path) -> None:
    lock_file = plan.root / registry.LOCK_FILE
    workspace_file = plan.root / WORKSPACE_FILE
    backups = [
        Backup.of(plan.compose.path),
        Backup.of(plan.cluster.path),
        Backup.of(lock_file),
        Backup.of(workspace_file),
    ]
    moved: list[tuple[Path, Path]] = []
    try:
        with terminate_as_interrupt():
            for removal in plan.removals:
                if removal.folder is not None:
                    os.rename(removal.folder, aside / removal.slug)
                    moved.append((aside / removal.slug, removal.folder))
            for change in (plan.compose, plan.cluster):
                if change.old_text is not None and change.new_text != change.old_text:
                    write_atomically(change.path, change.new_text)
            if plan.workspace_text is not None:
                write_atomically(workspace_file, plan.workspace_text)
            tools.lock(plan.uv, plan.root)
            _check_unlocked(plan)
    except BaseException:
        with interrupts_ignored():
            for away, home in reversed(moved):
                os.rename(away, home)
            for backup in backups:
                backup.restore()
        raise


def _check_unlocked(plan: RemovalPlan) -> None:
    """uv.lock no longer holds a package built from a removed folder."""
    sources = {
        str(value)
        for source in registry.locked_packages(plan.root).values()
        for key, value in source.items()
        if key in ("editable", "virtual", "directory")
    }
    still = [slug for slug in plan.slugs if f"services/{slug}" in sources]
    if still:
        raise GenerationFailed(f"uv.lock still holds {', '.join(still)} after `uv lock`.")
