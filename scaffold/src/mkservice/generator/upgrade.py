"""``mkservice upgrade``: bring what changed in the template since a service was made into the
service, keeping the service's own changes (ADR 0028).

For each service behind the template, the plan renders the template twice with the inputs the
service recorded in ``.mkservice.json``: as it was at the recorded version (taken from git
history, :mod:`mkservice.generator.template_history`) and as it is now, both through the same
pipeline as ``mkservice new`` (cookiecutter, then ruff). It three-way merges the difference
into the service (:mod:`mkservice.generator.three_way`) and records the new version. Nothing is
written while planning; applying writes every file or, on any error, Ctrl-C or SIGTERM, none.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mkservice.generator import render, tools
from mkservice.generator.atomic import (
    Backup,
    interrupts_ignored,
    terminate_as_interrupt,
    write_atomically,
)
from mkservice.generator.errors import Refused
from mkservice.generator.naming import derive_names
from mkservice.generator.render import Template, template_context
from mkservice.generator.template_history import commit_of_version, extract_template
from mkservice.generator.three_way import Change, Labels, files_of, merge_trees
from mkservice.record import PYPROJECT, RegisteredService, read_registry
from mkservice.stack.nats_auth import PROVENANCE_FILE

# Files of a service that are not the template's: its provenance (written apart, below) and
# its AsyncAPI document (built from its contracts, `mkservice contracts`).
_NOT_RENDERED = (PROVENANCE_FILE, "contracts/asyncapi.yaml")
# What a change of pyproject.toml must touch for uv.lock to need resolving again.
_DEPENDENCY_KEYS = (("project", "dependencies"), ("project", "optional-dependencies"))


@dataclass(frozen=True)
class Behind:
    """A service made from an older template version than the workspace's."""

    service: RegisteredService
    recorded: str
    current: str


@dataclass
class ServiceUpgrade:
    """What upgrading one service changes."""

    service: RegisteredService
    from_version: str
    to_version: str
    changes: list[Change]
    notes: list[str] = field(default_factory=list)

    @property
    def conflicted(self) -> list[Change]:
        return [change for change in self.changes if change.conflicts]


@dataclass
class UpgradePlan:
    root: Path
    upgrades: list[ServiceUpgrade]
    current: list[str]  # the services already at the template's version
    lock_needed: bool = False

    def writes(self) -> dict[Path, bytes | None]:
        """Every file the upgrade writes (None: removes)."""
        return {
            upgrade.service.path / change.path: change.content
            for upgrade in self.upgrades
            for change in upgrade.changes
        }


def _version_key(version: str) -> tuple[int, str]:
    return (int(version), "") if version.isdigit() else (-1, version)


def _recorded_version(service: RegisteredService) -> tuple[str, dict[str, Any]]:
    """The template version and inputs the service's .mkservice.json records."""
    path = service.path / PROVENANCE_FILE
    try:
        provenance = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise Refused(
            f"services/{service.slug} has no {PROVENANCE_FILE}, so it was not made from the "
            "template and cannot be upgraded."
        ) from None
    except (OSError, ValueError) as error:
        raise Refused(f"{path} cannot be read ({error}).") from None
    version = provenance.get("template_version") if isinstance(provenance, dict) else None
    if version is None:
        raise Refused(f"{path} records no template_version, which the upgrade starts from.")
    inputs = provenance.get("cookiecutter") or {}
    return str(version), inputs if isinstance(inputs, dict) else {}


def behind(root: Path) -> list[Behind]:
    """The services whose recorded template version is older than the template's."""
    current = Template.of(root).version
    found = []
    for service in read_registry(root):
        if not (service.path / PROVENANCE_FILE).is_file():
            continue  # not made from the template
        recorded, _inputs = _recorded_version(service)
        if _version_key(recorded) < _version_key(current):
            found.append(Behind(service, recorded, current))
    return found


def _chosen(root: Path, names: Sequence[str], every: bool) -> list[RegisteredService]:
    services = {service.slug: service for service in read_registry(root)}
    if every:
        return [s for s in services.values() if (s.path / PROVENANCE_FILE).is_file()]
    unknown = [name for name in names if name not in services]
    if unknown:
        known = ", ".join(sorted(services)) or "none"
        raise Refused(f"There is no service {unknown[0]!r} to upgrade (services: {known}).")
    return [services[name] for name in dict.fromkeys(names)]


def _refuse_uncommitted(root: Path, service: RegisteredService) -> None:
    relative = service.path.relative_to(root).as_posix()
    status = subprocess.run(
        ["git", "-C", str(root), "status", "--porcelain", "--", relative],
        capture_output=True,
        text=True,
        check=False,
    )
    if status.returncode != 0:
        raise Refused(f"{root} is not a git repository, and the upgrade needs its history.")
    if status.stdout.strip():
        raise Refused(
            f"{relative} has uncommitted changes: commit or stash them first, so that the "
            "upgrade can be reviewed and undone with git."
        )


def plan_upgrade(root: Path, names: Sequence[str], *, every: bool = False) -> UpgradePlan:
    """Check the request and compute every change. Raises :class:`Refused` (an unknown service,
    one with uncommitted changes or no record, a version git history does not have); writes
    nothing."""
    template = Template.of(root)
    plan = UpgradePlan(root, [], [])
    chosen = _chosen(root, names, every)
    with tempfile.TemporaryDirectory(prefix="mkservice-upgrade-") as scratch:
        olds: dict[str, Template] = {}
        for service in chosen:
            recorded, inputs = _recorded_version(service)
            order = (_version_key(recorded), _version_key(template.version))
            if order[0] == order[1]:
                plan.current.append(service.slug)
                continue
            if order[0] > order[1]:
                raise Refused(
                    f"services/{service.slug} records template version {recorded}, newer than "
                    f"the template's {template.version}: it comes from another branch."
                )
            _refuse_uncommitted(root, service)
            if recorded not in olds:
                commit = commit_of_version(root, recorded)
                olds[recorded] = Template.of(
                    extract_template(root, commit, Path(scratch) / f"v{recorded}")
                )
            work = Path(tempfile.mkdtemp(prefix=f"{service.slug}-", dir=scratch))
            plan.upgrades.append(
                _upgrade_one(root, service, inputs, olds[recorded], template, work)
            )
    plan.lock_needed = any(_dependencies_changed(upgrade) for upgrade in plan.upgrades)
    return plan


def _upgrade_one(
    root: Path,
    service: RegisteredService,
    inputs: dict[str, Any],
    old: Template,
    new: Template,
    work: Path,
) -> ServiceUpgrade:
    names = derive_names(service.slug)
    port = service.port or 8001
    renders = []
    for side, template in (("base", old), ("theirs", new)):
        context = {**template_context(names, port, template), **_plain(inputs, template)}
        context["template_version"] = template.version
        folder = render.render(template, context, work / side)
        render.tidy(folder, names, root)
        renders.append(files_of(folder, _NOT_RENDERED))
    labels = Labels(
        ours=f"services/{service.slug}",
        base=f"template v{old.version}",
        theirs=f"template v{new.version}",
    )
    merged = merge_trees(renders[0], renders[1], service.path, labels)
    changes = [*merged.changes, _provenance_change(service, new.version)]
    return ServiceUpgrade(service, old.version, new.version, changes, merged.notes)


def _plain(inputs: dict[str, Any], template: Template) -> dict[str, str]:
    # Recorded inputs the template still has, but never the ones it derives from others.
    return {
        key: str(value)
        for key, value in inputs.items()
        if key not in template.derived and not key.startswith("_")
    }


def _provenance_change(service: RegisteredService, version: str) -> Change:
    path = service.path / PROVENANCE_FILE
    provenance = json.loads(path.read_text(encoding="utf-8"))
    provenance["template_version"] = version
    text = json.dumps(provenance, indent=2, sort_keys=True) + "\n"
    return Change(PROVENANCE_FILE, "updated", text.encode("utf-8"))


def _dependencies_changed(upgrade: ServiceUpgrade) -> bool:
    for change in upgrade.changes:
        if change.path != PYPROJECT or change.content is None or change.conflicts:
            continue
        before = tomllib.loads((upgrade.service.path / PYPROJECT).read_text(encoding="utf-8"))
        after = tomllib.loads(change.content.decode("utf-8"))
        tables = [*_DEPENDENCY_KEYS, ("dependency-groups",), ("tool", "uv")]
        return any(_dig(before, keys) != _dig(after, keys) for keys in tables)
    return False


def _dig(table: dict[str, Any], keys: Sequence[str]) -> Any:
    for key in keys:
        table = table.get(key, {}) if isinstance(table, dict) else {}
    return table


def apply_upgrade(plan: UpgradePlan) -> None:
    """Write every change of ``plan`` (and lock, when dependencies changed); on any failure,
    Ctrl-C or SIGTERM put every file back."""
    writes = plan.writes()
    lock_file = plan.root / "uv.lock"
    backups = [Backup.of(path) for path in [*writes, lock_file]]
    made: list[Path] = []  # folders it created, removed again on an undo
    try:
        with terminate_as_interrupt():
            for path, content in writes.items():
                if content is None:
                    path.unlink(missing_ok=True)
                    continue
                missing = [p for p in (path.parent, *path.parent.parents) if not p.exists()]
                path.parent.mkdir(parents=True, exist_ok=True)
                made += reversed(missing)
                write_atomically(path, content)
            if plan.lock_needed:
                tools.lock(tools.find_uv(plan.root), plan.root)
    except BaseException:
        with interrupts_ignored():
            for backup in backups:
                backup.restore()
            for folder in reversed(made):
                if folder.is_dir() and not any(folder.iterdir()):
                    folder.rmdir()
        raise
