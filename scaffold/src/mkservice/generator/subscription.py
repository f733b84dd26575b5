"""``mkservice subscribe CONSUMER MESSAGE_TYPE``: plan (read and check everything, compute every
file, write nothing), then apply atomically.

The plan copies the owner's contract into the consumer
(:mod:`mkservice.generator.subscription_contracts`), adds the command, the handler stub, the
route and the test (:mod:`mkservice.generator.subscription_code`), builds the AsyncAPI
document again when the service keeps one (:mod:`mkservice.generator.subscription_documents`),
adds the subject to the consumer's ``nats.consumes`` and renders the NATS users of both compose
files again with the new grant (``compose.render_nats_users``, what ``mkservice nats-users``
runs). Apply writes each file with ``write_atomically`` holding a backup of every one; any
failure, Ctrl-C or SIGTERM puts them all back.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from mkservice.generator import compose
from mkservice.generator.atomic import (
    Backup,
    interrupts_ignored,
    terminate_as_interrupt,
    write_atomically,
)
from mkservice.generator.compose_cluster import CLUSTER
from mkservice.generator.compose_file import COMPOSE_FILE, SINGLE_NODE
from mkservice.generator.errors import GenerationFailed, Refused
from mkservice.generator.subscription_code import (
    Names,
    append_with_imports,
    command_text,
    edit_consumers,
    handler_text,
    plain_fields,
    sample,
    test_text,
)
from mkservice.generator.subscription_contracts import copy_contract, find_owned
from mkservice.generator.subscription_documents import document_after
from mkservice.record import RegisteredService, read_registry
from mkservice.stack.nats_auth import (
    PROVENANCE_FILE,
    GrantError,
    ServiceGrant,
    declaration,
    read_grant,
)


@dataclass(frozen=True)
class SubscriptionPlan:
    """Everything ``mkservice subscribe`` will write, decided before anything is."""

    root: Path
    consumer: str
    message_type: str
    subject: str
    files: dict[Path, str]  # path -> its new text (new files included)
    created: tuple[Path, ...]
    notes: list[str] = field(default_factory=list)

    def relative(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()


def _service(services: dict[str, RegisteredService], slug: str, role: str) -> RegisteredService:
    service = services.get(slug)
    if service is None:
        known = ", ".join(sorted(services)) or "none"
        raise Refused(f"There is no service {slug!r} to {role} (services: {known}).")
    return service


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise Refused(f"There is no {path.name} at {path}, which the subscription needs.") from None
    except (OSError, UnicodeDecodeError) as error:
        raise GenerationFailed(f"cannot read {path} ({error}).") from None


def plan_subscription(root: Path, consumer: str, message_type: str) -> SubscriptionPlan:
    """Check the request and compute every file. Raises :class:`Refused` (an unknown service or
    type, already subscribed, a consumer of an unexpected shape) or :class:`GenerationFailed`;
    writes nothing."""
    services = {service.slug: service for service in read_registry(root)}
    me = _service(services, consumer, "subscribe")
    owner_slug, dot, message = message_type.partition(".")
    if not dot or not message or "." in message:
        raise Refused(
            f"{message_type!r} is not a message type: name one as <owner>.<name>, such as "
            "orders.order-confirmed."
        )
    owner = _service(services, owner_slug, "subscribe to")
    if owner.slug == me.slug:
        raise Refused(f"{consumer} owns {message_type}: route its own messages by hand.")
    names = Names(owner.name, message)
    mine = me.path / "src" / me.package
    owner_contracts = owner.path / "src" / owner.package / "messaging" / "contracts.py"
    found = find_owned(
        _read(owner_contracts), owner.name, message_type, _shown(root, owner_contracts)
    )
    contracts_path = mine / "messaging" / "contracts.py"
    copied = copy_contract(
        owner.name,
        _read(owner_contracts),
        found,
        _read(contracts_path),
        _shown(root, contracts_path),
        me.package,
    )
    model = copied.models.get(found.model)
    if model is None:
        raise Refused(
            f"{found.model}, the model of {found.constant}, is not a class of {owner.name}."
        )
    fields = plain_fields(model)
    class_prefix = me.package.title().replace("_", "")
    unit_of_work = f"{class_prefix}UnitOfWork"
    files: dict[Path, str] = {contracts_path: copied.text}
    document = document_after(me.name, me.path, me.package, copied.text)
    if document is not None:
        files[document[0]] = document[1]

    consumers_path = mine / "messaging" / "consumers.py"
    files[consumers_path] = edit_consumers(
        _read(consumers_path),
        _shown(root, consumers_path),
        me.package,
        names,
        found.constant,
        found.model,
        fields,
    )
    commands_path = mine / "domain" / "commands.py"
    commands_text = _read(commands_path)
    _refuse_defined(commands_text, names.command, commands_path, root)
    files[commands_path] = append_with_imports(
        commands_text,
        _shown(root, commands_path),
        me.package,
        [("dataclasses", "dataclass")],
        command_text(names, message_type, fields),
    )
    handlers_path = mine / "service_layer" / "handlers.py"
    handlers_text = _read(handlers_path)
    _refuse_defined(handlers_text, names.handler, handlers_path, root)
    _refuse_missing(mine / "service_layer" / "unit_of_work.py", unit_of_work, root)
    files[handlers_path] = append_with_imports(
        handlers_text,
        _shown(root, handlers_path),
        me.package,
        [
            ("datetime", "datetime"),
            (f"{me.package}.domain.commands", names.command),
            (f"{me.package}.service_layer.unit_of_work", unit_of_work),
        ],
        handler_text(names, message_type, owner.name, unit_of_work),
    )
    test_path = me.path / names.test_file
    if test_path.exists():
        raise Refused(f"{_shown(root, test_path)} exists already: move it, then subscribe.")
    notes: list[str] = []
    unknown: list[str] = []
    payload = sample(found.model, copied.models, unknown, found.model)
    if unknown:
        notes.append(
            f"{_shown(root, test_path)}: give PAYLOAD a valid value for {', '.join(unknown)}."
        )
    files[test_path] = test_text(
        names, message_type, me.package, class_prefix, found.constant, payload
    )
    grant, record_text = _granted(me, found.subject)
    if record_text is not None:
        files[me.path / PROVENANCE_FILE] = record_text
    files |= _compose_files(root, grant)
    changed = {path: text for path, text in files.items() if _differs(path, text)}
    return SubscriptionPlan(
        root, me.slug, message_type, found.subject, changed, (test_path,), notes
    )


def _shown(root: Path, path: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


def _differs(path: Path, text: str) -> bool:
    try:
        return path.read_text(encoding="utf-8") != text
    except FileNotFoundError:
        return True


def _refuse_defined(text: str, name: str, path: Path, root: Path) -> None:
    if f"class {name}" in text or f"def {name}(" in text:
        raise Refused(f"{_shown(root, path)} already defines {name}: remove it, then subscribe.")


def _refuse_missing(path: Path, name: str, root: Path) -> None:
    if f"class {name}" not in _read(path):
        raise Refused(
            f"{_shown(root, path)} has no class {name}, which the handler stub takes: "
            "add the subscription by hand."
        )


def covers(pattern: str, subject: str) -> bool:
    """Whether the NATS subject ``pattern`` (``*`` and ``>`` wildcards) matches ``subject``."""
    wanted, tokens = pattern.split("."), subject.split(".")
    for index, token in enumerate(wanted):
        if token == ">":
            return len(tokens) > index
        if index >= len(tokens) or token not in ("*", tokens[index]):
            return False
    return len(wanted) == len(tokens)


def _granted(service: RegisteredService, subject: str) -> tuple[ServiceGrant, str | None]:
    """The service's grant with ``subject`` consumed, and its .mkservice.json's new text
    (``None`` when what it consumes covers the subject already)."""
    path = service.path / PROVENANCE_FILE
    try:
        grant = read_grant(service.path, service.name)
    except GrantError as error:
        raise Refused(f"The consumer's NATS grant cannot be read: {error}.") from None
    if any(covers(pattern, subject) for pattern in grant.consumes):
        return grant, None
    grant = ServiceGrant(grant.name, grant.calls, (*grant.consumes, subject))
    try:
        provenance = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        provenance = {}
    if not isinstance(provenance, dict):
        raise Refused(f"{path} is not a JSON object: add the subject to its nats section by hand.")
    provenance["nats"] = declaration(grant)
    return grant, json.dumps(provenance, indent=2, sort_keys=True) + "\n"


def _compose_files(root: Path, grant: ServiceGrant) -> dict[Path, str]:
    """Both compose files with the NATS users rendered again, ``grant`` for its service (its
    .mkservice.json is not written yet); the cluster file only when there is one."""
    rendered: dict[Path, str] = {}
    for shape in (SINGLE_NODE, CLUSTER):
        path = root / shape.file
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            if shape.file == COMPOSE_FILE:
                raise Refused(f"There is no {COMPOSE_FILE} in {root}.") from None
            continue
        try:
            rendered[path] = compose.render_nats_users(text, root, {grant.name: grant}, shape)
        except GenerationFailed as failure:
            raise Refused(f"Nothing was written: {shape.file} cannot be used ({failure})") from None
    return rendered


def apply_subscription(plan: SubscriptionPlan) -> None:
    """Write every file of ``plan``; on any failure, Ctrl-C or SIGTERM put every one back."""
    backups = [Backup.of(path) for path in plan.files]
    made: list[Path] = []  # folders it created, removed again on an undo
    try:
        with terminate_as_interrupt():
            for path, text in plan.files.items():
                missing = [p for p in (path.parent, *path.parent.parents) if not p.exists()]
                path.parent.mkdir(parents=True, exist_ok=True)
                made += reversed(missing)
                write_atomically(path, text)
    except BaseException:
        with interrupts_ignored():
            for backup in backups:
                backup.restore()
            for folder in reversed(made):
                folder.rmdir()
        raise
