"""A nats-server configuration that gives every service its own NATS user and least privilege.

Each service may publish only on its own subjects (``<service>.>``: its events, its dead
letters), on the command subjects of the services it calls (``inventory.cmd.>``), and on the
JetStream API subjects of its own stream and of the streams it consumes; it may subscribe only to
its inboxes (where JetStream delivers pulled messages and API answers) and to what it consumes.
So payments cannot announce ``orders.evt.order-confirmed``, read the ORDERS stream, or delete
another service's stream. An operator user (the fault suite's, say) may do anything. The saga
console's user (:class:`ConsoleGrant`) may read and delete the dead letters of the services'
streams, replay them onto their commands and events, and keep its record of what it did in a
KV bucket of its own; nothing else (docs/adr/0023-replaying-a-dead-letter-happens-once.md).

What a service talks to is declared by the service itself, in the ``nats`` section of its
``.mkservice.json`` (``{"calls": ["inventory"], "consumes": ["inventory.evt.>"]}``); a service
without one gets :func:`default_grant`: it calls nobody and reads only its own subjects.
:func:`read_grant` reads one service's declaration, :func:`grants_for` those of many.

``render_config`` returns the text; ``write_config`` writes it with fresh passwords and returns
the credentials to hand to each service as ``<PREFIX>NATS_USER`` / ``<PREFIX>NATS_PASSWORD``.
docker-compose.yml carries the same text inline (``mkservice.generator.compose``), with the
services' users only.
"""

from __future__ import annotations

import json
import secrets
import textwrap
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from chassis import naming

# The fault suite's and tests' all-powerful user. The underscore keeps it apart from every
# service: a service name is kebab-case, so no service can ever be called this.
OPERATOR_USER = "_operator"
# The saga console's user (mkservice.console.dead_letters), apart from every service the same way.
CONSOLE_USER = "_console"
# The KV bucket where the console records each dead letter it replayed or discarded.
CONSOLE_BUCKET = "DEAD_LETTER_ACTIONS"
# The service's generation provenance (written by the generator's render.py), where it also
# declares its grant.
PROVENANCE_FILE = ".mkservice.json"
NATS_SECTION = "nats"
_WHITESPACE = frozenset(" \t\r\n")
# A service name is one subject token: no whitespace, dots or wildcards.
_NOT_IN_NAME = _WHITESPACE | {".", "*", ">"}


class GrantError(ValueError):
    """A service's ``nats`` declaration cannot be read; the message names the file."""


@dataclass(frozen=True)
class ServiceGrant:
    """What one service talks to: the services whose commands it sends, what it consumes."""

    name: str
    calls: tuple[str, ...] = ()
    # Subjects it reads with durable consumers, e.g. ``inventory.evt.>``; the stream is the
    # first token's service.
    consumes: tuple[str, ...] = ()

    @property
    def stream(self) -> str:
        return naming.stream_name(self.name)

    def publish_allow(self) -> list[str]:
        subjects = [f"{self.name}.>", *(f"{callee}.cmd.>" for callee in self.calls)]
        subjects += ["$JS.API.INFO"]
        subjects += [
            f"$JS.API.STREAM.{verb}.{self.stream}" for verb in ("INFO", "CREATE", "UPDATE")
        ]
        for stream in self.consumed_streams():
            subjects += [
                f"$JS.API.CONSUMER.INFO.{stream}.*",
                f"$JS.API.CONSUMER.CREATE.{stream}.*",
                f"$JS.API.CONSUMER.CREATE.{stream}.*.>",
                f"$JS.API.CONSUMER.DURABLE.CREATE.{stream}.*",
                f"$JS.API.CONSUMER.MSG.NEXT.{stream}.*",
                f"$JS.ACK.{stream}.>",
            ]
        return subjects

    def subscribe_allow(self) -> list[str]:
        return ["_INBOX.>", *self.consumes]

    def consumed_streams(self) -> list[str]:
        return sorted({naming.stream_name(naming.owner_of(subject)) for subject in self.consumes})


@dataclass(frozen=True)
class ConsoleGrant:
    """What the saga console may do over the dead letters of ``services``: list, read and
    delete them in each service's stream, publish a replay on the service's commands and
    events (never on its dead letters, so it cannot park a message itself), and keep its
    records in the KV bucket ``bucket``. It may not create consumers, nor create, change or
    delete a service's stream."""

    services: tuple[str, ...]
    bucket: str = CONSOLE_BUCKET

    def publish_allow(self) -> list[str]:
        subjects = []
        for service in self.services:
            stream = naming.stream_name(service)
            subjects += [f"$JS.API.STREAM.MSG.{verb}.{stream}" for verb in ("GET", "DELETE")]
        kv_stream = f"KV_{self.bucket}"
        subjects += [
            # The bucket: created on first use, then looked up.
            f"$JS.API.STREAM.CREATE.{kv_stream}",
            f"$JS.API.STREAM.INFO.{kv_stream}",
            # Its records: listed by message gets, one read by nats-py's direct get, written
            # (created, and deleted when a replay fails) on the bucket's own subjects.
            f"$JS.API.STREAM.MSG.GET.{kv_stream}",
            f"$JS.API.DIRECT.GET.{kv_stream}.>",
            f"$KV.{self.bucket}.>",
        ]
        for service in self.services:
            subjects += [
                naming.all_of_kind(service, naming.COMMAND),
                naming.all_of_kind(service, naming.EVENT),
            ]
        return subjects

    def subscribe_allow(self) -> list[str]:
        return ["_INBOX.>"]


def default_grant(name: str) -> ServiceGrant:
    """The grant of a service that declares none: it calls nobody and reads its own subjects
    (``<name>.>``: its commands, and its own events, which the template's example consumer
    reads)."""
    return ServiceGrant(name, consumes=(f"{name}.>",))


def declaration(grant: ServiceGrant) -> dict[str, list[str]]:
    """The ``nats`` section of a service's ``.mkservice.json`` that declares ``grant``."""
    return {"calls": list(grant.calls), "consumes": list(grant.consumes)}


def read_grant(folder: Path, name: str | None = None) -> ServiceGrant:
    """The grant the service in ``folder`` declares (its ``.mkservice.json``'s ``nats``
    section), or :func:`default_grant` when it declares none. ``name`` defaults to the folder's.

    Raises :class:`GrantError` naming the file when the file or its section is malformed.
    """
    name = name or folder.name
    path = folder / PROVENANCE_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return default_grant(name)
    except OSError as error:
        raise GrantError(f"{path}: cannot be read ({error})") from None
    try:
        provenance = json.loads(text)
    except ValueError as error:
        raise GrantError(f"{path}: not valid JSON ({error})") from None
    if not isinstance(provenance, dict) or NATS_SECTION not in provenance:
        return default_grant(name)
    section = provenance[NATS_SECTION]
    if not isinstance(section, dict) or set(section) - {"calls", "consumes"}:
        raise GrantError(f'{path}: "nats" must be an object with "calls" and "consumes" only')
    calls = _strings(section.get("calls", []), path, "calls")
    consumes = _strings(section.get("consumes", []), path, "consumes")
    for callee in calls:
        if _NOT_IN_NAME & set(callee):
            raise GrantError(f'{path}: "nats.calls" holds {callee!r}, which is not a service name')
    for subject in consumes:
        tokens = subject.split(".")
        if _WHITESPACE & set(subject) or not all(tokens):
            raise GrantError(f'{path}: "nats.consumes" holds {subject!r}, which is not a subject')
        if _NOT_IN_NAME & set(tokens[0]):
            raise GrantError(
                f'{path}: "nats.consumes" holds {subject!r}: its first token must name the '
                "service whose stream it reads, not a wildcard"
            )
    return ServiceGrant(name, calls=calls, consumes=consumes)


def _strings(value: Any, path: Path, key: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) and item for item in value):
        raise GrantError(f'{path}: "nats.{key}" must be a list of non-empty strings')
    return tuple(value)


class _Service(Protocol):
    """A service as discovery finds it (``mkservice.stack.ServiceSpec``): its name and folder."""

    @property
    def name(self) -> str: ...

    @property
    def root(self) -> Path: ...


def grants_for(services: Iterable[_Service]) -> list[ServiceGrant]:
    """The grants the ``services`` declare, each in its own folder's ``.mkservice.json``."""
    return [read_grant(service.root, service.name) for service in services]


class _Grant(Protocol):
    """What a user may publish and subscribe to."""

    def publish_allow(self) -> list[str]: ...

    def subscribe_allow(self) -> list[str]: ...


@dataclass
class NatsCredentials:
    """The user and password of each service, and of the operator and the console."""

    users: dict[str, str] = field(default_factory=dict)

    def password(self, user: str) -> str:
        return self.users[user]

    def service_env(self, env_prefixes: Mapping[str, str]) -> dict[str, str]:
        """``<PREFIX>NATS_USER`` and ``<PREFIX>NATS_PASSWORD`` of each service named."""
        env: dict[str, str] = {}
        for service, prefix in env_prefixes.items():
            env[f"{prefix}NATS_USER"] = service
            env[f"{prefix}NATS_PASSWORD"] = self.users[service]
        return env


def _user_block(user: str, password: str, grant: _Grant | None) -> str:
    lines = [f"    {{ user: {json.dumps(user)}, password: {json.dumps(password)}"]
    if grant is not None:
        lines.append("      permissions: {")
        lines += _allow("publish", grant.publish_allow(), "        ")
        lines += _allow("subscribe", grant.subscribe_allow(), "        ")
        lines.append("      }")
    lines.append("    }")
    return "\n".join(lines)


def _allow(direction: str, subjects: list[str], indent: str, width: int = 88) -> list[str]:
    """``publish: { allow: [...] }``, the subjects packed into lines of at most ``width``
    characters (docker-compose.yml shows this text, indented further)."""
    quoted = ", ".join(json.dumps(subject) for subject in subjects)
    packed = textwrap.wrap(
        quoted, width, initial_indent=f"{indent}  ", subsequent_indent=f"{indent}  ",
        break_long_words=False, break_on_hyphens=False,
    )  # fmt: skip
    return [f"{indent}{direction}: {{ allow: [", *packed, f"{indent}] }}"]


def render_config(grants: Iterable[ServiceGrant], credentials: NatsCredentials) -> str:
    """The ``authorization`` block of a nats-server config for ``grants``, plus the operator
    and the console (over the services of ``grants``) when ``credentials`` name them."""
    grants = list(grants)
    blocks = [_user_block(g.name, credentials.password(g.name), g) for g in grants]
    if OPERATOR_USER in credentials.users:
        blocks.append(_user_block(OPERATOR_USER, credentials.password(OPERATOR_USER), None))
    if CONSOLE_USER in credentials.users:
        console = ConsoleGrant(tuple(grant.name for grant in grants))
        blocks.append(_user_block(CONSOLE_USER, credentials.password(CONSOLE_USER), console))
    users = "".join(f"{block}\n" for block in blocks)
    return (
        "# Generated by mkservice (stack/nats_auth.py): one NATS user per service.\n"
        f"authorization {{\n  users: [\n{users}  ]\n}}\n"
    )


def write_config(
    path: Path, grants: Iterable[ServiceGrant], *, operator: bool = True, console: bool = True
) -> NatsCredentials:
    """Write a config with fresh random passwords to ``path``; return the credentials (with
    the operator's and the console's, unless left out)."""
    grants = list(grants)
    names = [grant.name for grant in grants]
    names += [OPERATOR_USER] if operator else []
    names += [CONSOLE_USER] if console else []
    credentials = NatsCredentials({name: secrets.token_urlsafe(18) for name in names})
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_config(grants, credentials), encoding="utf-8")
    path.chmod(0o600)
    return credentials
