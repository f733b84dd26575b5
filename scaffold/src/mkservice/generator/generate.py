"""``mkservice new`` as two steps: plan (validate everything, write nothing) and apply (atomically).

Apply renders into a temporary folder inside ``services/`` (same filesystem, so the final
``os.rename`` is atomic), then, holding backups of docker-compose.yml, docker-compose.cluster.yml
and uv.lock, moves the folder into place, writes both compose files and runs ``uv lock``. Any
failure, Ctrl-C or SIGTERM before the end undoes it all; the temporary folder is always removed.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from mkservice.generator import (
    compose,
    compose_cluster,
    compose_file,
    env_file,
    registry,
    render,
    tools,
)
from mkservice.generator.atomic import (
    TEMP_PREFIX,
    Backup,
    interrupts_ignored,
    terminate_as_interrupt,
    write_atomically,
)
from mkservice.generator.compose import ComposeChange
from mkservice.generator.errors import GenerationFailed
from mkservice.generator.naming import ServiceNames, validate_name
from mkservice.record import read_registry
from mkservice.stack.nats_auth import ServiceGrant, default_grant


@dataclass(frozen=True)
class Plan:
    """Everything ``mkservice new`` will do, decided before anything is written."""

    root: Path
    names: ServiceNames
    port: int
    template: render.Template
    context: dict[str, str]
    compose: ComposeChange
    # The same service in the cluster shape (docker-compose.cluster.yml), same passwords.
    cluster: ComposeChange
    uv: str
    files: list[str]
    # What it talks to over NATS: written to its .mkservice.json and, as its NATS user's
    # permissions, to docker-compose.yml (before the record is in place to be read back).
    nats: ServiceGrant

    @property
    def folder(self) -> Path:
        return self.root / "services" / self.names.slug


@dataclass
class Outcome:
    plan: Plan
    installed: bool | None = None
    notes: list[str] = field(default_factory=list)


def plan_service(root: Path, name: str, port: int | None) -> Plan:
    """Validate ``name`` and ``port`` against the workspace and prepare every change.

    Raises :class:`Refused` (bad input) or :class:`GenerationFailed`; writes nothing.
    """
    names = validate_name(name)
    services = read_registry(root)
    registry.check_available(root, names, services)
    # Ports published in docker-compose.yml count as taken (NATS, PostgreSQL, and a block whose
    # folder was removed by hand), except by the stale block this name replaces.
    used = {
        number: f"the {block} block of {compose_file.COMPOSE_FILE}"
        for number, block in compose_file.compose_ports(root).items()
        if block != names.slug
    }
    for number, slug in registry.used_ports(services).items():
        used[number] = f"the service {slug!r}"
    if port is None:
        port = registry.allocate_port(used)
    else:
        registry.check_port(port, used)
    template = render.Template.of(root)
    context = render.template_context(names, port, template)
    grant = default_grant(names.slug)
    # Read from .env, as the database passwords are (ADR 0025); both compose files say the same.
    nats_password = compose_file.secret_reference(f"{names.env_prefix}NATS_PASSWORD")
    change = compose.register_service(root, names, port, nats_password, grant)
    cluster = compose_cluster.register_in_cluster(
        root, names, port, nats_password, grant, change.init_script
    )
    uv = tools.find_uv(root)
    files = render.planned_files(template, names)
    return Plan(root, names, port, template, context, change, cluster, uv, files, grant)


def create_service(
    plan: Plan, *, install: bool, quiet: bool = False, step: Callable[[str], None] | None = None
) -> Outcome:
    """Apply ``plan``: render, move into place, register, lock; then install unless told not to."""
    say = step or (lambda _: None)
    outcome = Outcome(plan)
    services_dir = plan.root / "services"
    services_dir.mkdir(exist_ok=True)
    temp = Path(tempfile.mkdtemp(prefix=TEMP_PREFIX, dir=services_dir))
    try:
        say("rendering the template")
        rendered = render.render(plan.template, plan.context, temp, plan.nats)
        outcome.notes += render.tidy(rendered, plan.names, plan.root)
        say("writing its AsyncAPI document")
        _write_asyncapi(plan, rendered)
        say("registering the service")
        _apply(plan, rendered, temp)
    finally:
        shutil.rmtree(temp, ignore_errors=True)
    outcome.notes.append(_extend_env_file(plan))
    if install:
        say("installing it into the workspace venv (uv sync --all-packages)")
        outcome.installed = tools.sync(plan.uv, plan.root, quiet=quiet)
        if not outcome.installed:
            outcome.notes.append("`uv sync --all-packages` failed: run `make bootstrap` again")
    return outcome


def _write_asyncapi(plan: Plan, rendered: Path) -> None:
    """The new service's contracts/asyncapi.yaml, from its rendered contracts module: it has
    one from the start, as every service does (ADR 0027)."""
    from mkservice.contracts.documents import (
        ContractsUnreadable,
        build_document,
        document_path,
        render_yaml,
    )

    try:
        document = build_document(plan.names.slug, rendered, plan.names.package)
    except ContractsUnreadable as error:
        raise GenerationFailed(f"the rendered contracts do not load ({error}).") from error
    path = document_path(rendered)
    path.parent.mkdir(exist_ok=True)
    path.write_text(render_yaml(document), encoding="utf-8")


def _extend_env_file(plan: Plan) -> str:
    """Give the new service's passwords a value in .env, when there is one (the service is in
    place by now: a .env that cannot be extended leaves it so, and says how to finish)."""
    path = plan.root / env_file.ENV_FILE
    if not path.is_file():
        return f"there is no {path.name} yet: run `mkservice secrets` before `docker compose up`"
    try:
        extension = env_file.extend(plan.root, env_file.service_variables(plan.names.slug))
    except (env_file.EnvFileError, OSError, UnicodeDecodeError) as error:
        return f"{path.name} was left as it was ({error}): fix it and run `mkservice secrets`"
    if not extension.added:
        return f"{path.name} already sets the passwords of {plan.names.slug}"
    return f"{path.name}: added {', '.join(extension.added)}"


def _apply(plan: Plan, rendered: Path, temp: Path) -> None:
    lock_file = plan.root / "uv.lock"
    backups = [Backup.of(plan.compose.path), Backup.of(plan.cluster.path), Backup.of(lock_file)]
    moved = False
    try:
        with terminate_as_interrupt():
            if plan.folder.exists():
                raise GenerationFailed(f"services/{plan.names.slug} appeared while generating.")
            os.rename(rendered, plan.folder)
            moved = True
            shutil.rmtree(temp, ignore_errors=True)
            write_atomically(plan.compose.path, plan.compose.new_text)
            write_atomically(plan.cluster.path, plan.cluster.new_text)
            tools.lock(plan.uv, plan.root)
    except BaseException:
        with interrupts_ignored():
            if moved:
                shutil.rmtree(plan.folder, ignore_errors=True)
            for backup in backups:
                backup.restore()
        raise
