"""Registering a service in the root ``docker-compose.yml``, and taking it out again
(:mod:`mkservice.generator.compose_file` reads the file).

The file is edited through ruamel.yaml's round trip (:mod:`mkservice.generator.yaml_edit`): parsed
with its comments, changed, written back in its own style, so every comment and hand edit
survives. The new text is then parsed again and checked to hold exactly the intended change
before anyone writes it.

NATS runs with one user per service (docs/adr/0009-nats-users-per-service.md): each service block
sets ``<PREFIX>NATS_USER`` (its name) and ``<PREFIX>NATS_PASSWORD``, and the nats-server config
that lists those users with their permissions is inline in the file, the ``content`` of the
top-level ``configs: nats-users:``. That content is always re-rendered as a whole
(:func:`render_nats_users`) from the service blocks present and the grants their services
declare (``mkservice.stack.nats_auth``), so a new block adds its user and a removed block drops
its user. Compose interpolates ``$`` everywhere in the file, configs' inline ``content``
included, so the content's ``$`` (``$JS.API...`` subjects) is written ``$$``, and each password,
``${<PREFIX>NATS_PASSWORD}`` as in the service's block, becomes the value in .env (ADR 0025).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import DoubleQuotedScalarString, LiteralScalarString

from mkservice.generator import yaml_edit
from mkservice.generator.compose_file import (
    INFRASTRUCTURE,
    INIT_DIR,
    NATS_CONFIG,
    PROMETHEUS_CONFIG,
    SINGLE_NODE,
    ComposeShape,
    database_urls,
    nats_users,
    render_prometheus_config,
    scrape_targets,
    secret_reference,
)
from mkservice.generator.errors import GenerationFailed
from mkservice.generator.keycloak_realm import ISSUER, JWKS_URL
from mkservice.generator.naming import ServiceNames
from mkservice.stack.nats_auth import (
    GrantError,
    NatsCredentials,
    ServiceGrant,
    default_grant,
    read_grant,
    render_config,
)

_INIT_MOUNT = re.compile(r"/docker-entrypoint-initdb\.d/(\d+)-")
# Environment values quoted in a block: a port is a string to compose, and a random token could
# read as a number.
_QUOTED = ("PORT", "NATS_PASSWORD", "STREAM_REPLICAS")
# A service's OTLP endpoint: what the shell running compose says, or none.
OTLP_ENDPOINT = "${OTEL_EXPORTER_OTLP_ENDPOINT:-}"


@dataclass(frozen=True)
class ComposeChange:
    """The new text of docker-compose.yml, and what it adds (for a registration)."""

    path: Path
    old_text: str | None
    new_text: str
    init_script: str | None = None
    replaced_stale_block: bool = False


def service_entry(names: ServiceNames, port: int, nats_password: str) -> dict[str, Any]:
    """The compose block of a service, as the parsed YAML it must equal."""
    prefix = names.env_prefix
    return {
        "build": {"context": ".", "dockerfile": f"services/{names.slug}/Dockerfile"},
        "environment": {
            **database_urls(names),
            f"{prefix}NATS_URL": "nats://nats:4222",
            f"{prefix}NATS_USER": names.slug,
            f"{prefix}NATS_PASSWORD": nats_password,
            f"{prefix}HOST": "0.0.0.0",
            f"{prefix}PORT": str(port),
            # Empty (no traces exported) unless set where compose runs (docs/observability.md).
            "OTEL_EXPORTER_OTLP_ENDPOINT": OTLP_ENDPOINT,
            **auth_settings(names),
        },
        "ports": [f"{port}:{port}"],
        "depends_on": {name: {"condition": "service_healthy"} for name in INFRASTRUCTURE},
    }


def auth_settings(names: ServiceNames) -> dict[str, str]:
    """Where a service checks its bearer tokens: Keycloak's realm ``checkout``, the issuer every
    token names (whether requested inside compose's network or from the host) and its keys."""
    prefix = names.env_prefix
    return {f"{prefix}AUTH_ISSUER": ISSUER, f"{prefix}AUTH_JWKS_URL": JWKS_URL}


def _service_block(entry: dict[str, Any]) -> CommentedMap:
    """``entry`` as the round-trip tree to insert, quoted where compose needs it."""
    block = CommentedMap()
    for key, value in entry.items():
        if key == "environment":
            block[key] = CommentedMap(
                (name, DoubleQuotedScalarString(item) if name.endswith(_QUOTED) else item)
                for name, item in value.items()
            )
        elif key == "ports":
            block[key] = CommentedSeq(DoubleQuotedScalarString(port) for port in value)
        elif key == "command":
            command = CommentedSeq(DoubleQuotedScalarString(word) for word in value)
            command.fa.set_flow_style()  # as the Dockerfile's CMD reads
            block[key] = command
        else:
            block[key] = _tree(value)
    return block


def _tree(value: Any) -> Any:
    if isinstance(value, dict):
        return CommentedMap((key, _tree(item)) for key, item in value.items())
    return value


def init_script_name(number: int, slug: str) -> str:
    return f"{number:02d}-{slug}.sql"


def init_mount(slug: str, script: str) -> str:
    return f"./services/{slug}/deploy/postgres-init.sql:{INIT_DIR}/{script}:ro"


def register_service(
    root: Path,
    names: ServiceNames,
    port: int,
    nats_password: str | None = None,
    grant: ServiceGrant | None = None,
) -> ComposeChange:
    """The docker-compose.yml text with the service's block and init script added, and the NATS
    users rendered again with the service's (``grant``: what it declares in the provenance being
    written with it; by default its own subjects).

    A block already there for the same name (its folder was removed by hand) is replaced. Raises
    :class:`GenerationFailed` when the file cannot be understood; nothing is written here.
    """
    nats_password = nats_password or secret_reference(f"{names.env_prefix}NATS_PASSWORD")
    entry = service_entry(names, port, nats_password)
    return register_blocks(SINGLE_NODE, root, names.slug, {names.slug: entry}, grant)


def unregister_services(root: Path, slugs: Iterable[str]) -> ComposeChange:
    """The docker-compose.yml text without the blocks and init-script mounts of ``slugs``, and
    with the NATS users rendered again from the blocks left. Names without a block change
    nothing. Raises :class:`GenerationFailed` when the file cannot be understood."""
    return unregister_blocks(SINGLE_NODE, root, slugs)


def register_blocks(
    shape: ComposeShape,
    root: Path,
    slug: str,
    entries: Mapping[str, dict[str, Any]],
    grant: ServiceGrant | None = None,
    init_script: str | None = None,
) -> ComposeChange:
    """The text of ``shape``'s file with the service ``slug``'s ``entries`` (block name ->
    block) and its init-script mount added (``init_script``, or numbered after the last), and
    the NATS users rendered again; what :func:`register_service` does, for any shape."""
    grant = grant or default_grant(slug)
    path = root / shape.file
    old_text = path.read_text(encoding="utf-8") if path.is_file() else None
    text = old_text if old_text is not None else shape.base
    data = _load(text, shape)
    services, volumes = _services_and_init_mounts(data, shape)
    replaced = _remove_service(services, volumes, slug, shape)

    if init_script is None:
        numbers = [int(m.group(1)) for item in volumes if (m := _INIT_MOUNT.search(str(item)))]
        init_script = init_script_name(max(numbers, default=0) + 1, slug)
    mount = init_mount(slug, init_script)
    yaml_edit.append_item(volumes, mount)
    for name, entry in entries.items():
        yaml_edit.append_entry(services, name, _service_block(entry), _key_indent(services))
    grants = {slug: grant}
    _set_nats_users(data, root, grants, shape)
    _set_scrape_targets(data, shape)
    new_text = yaml_edit.dump(data, text)

    expected = _plain(text, shape)
    expected_services = expected["services"]
    for name in shape.blocks_of(slug):
        expected_services.pop(name, None)
    expected_services.update(entries)
    postgres = expected_services["postgres"]
    postgres["volumes"] = [*_without_mounts_of(postgres["volumes"], {slug}), mount]
    _verify(new_text, expected, root, grants, f"could not register {slug}", shape)
    return ComposeChange(path, old_text, new_text, init_script, replaced)


def unregister_blocks(shape: ComposeShape, root: Path, slugs: Iterable[str]) -> ComposeChange:
    """The text of ``shape``'s file without the blocks and init-script mounts of ``slugs``;
    what :func:`unregister_services` does, for any shape. A missing file changes nothing."""
    slugs = set(slugs)
    path = root / shape.file
    old_text = path.read_text(encoding="utf-8") if path.is_file() else None
    if old_text is None:
        return ComposeChange(path, None, "")
    data = _load(old_text, shape)
    services, volumes = _services_and_init_mounts(data, shape)
    for slug in sorted(slugs):
        _remove_service(services, volumes, slug, shape)
    _set_nats_users(data, root, {}, shape)
    _set_scrape_targets(data, shape)
    new_text = yaml_edit.dump(data, old_text)

    expected = _plain(old_text, shape)
    for slug in slugs:
        for name in shape.blocks_of(slug):
            expected["services"].pop(name, None)
    postgres = expected["services"]["postgres"]
    postgres["volumes"] = _without_mounts_of(postgres["volumes"], slugs)
    failure = f"could not remove {', '.join(sorted(slugs))}"
    _verify(new_text, expected, root, {}, failure, shape)
    return ComposeChange(path, old_text, new_text)


def render_nats_users(
    text: str,
    root: Path,
    grants: Mapping[str, ServiceGrant] | None = None,
    shape: ComposeShape = SINGLE_NODE,
) -> str:
    """``text`` with the content of ``configs: nats-users`` rendered again: a user for each
    service block that sets ``<PREFIX>NATS_PASSWORD``, with the grant its service declares in
    ``services/<name>/.mkservice.json`` (or the one in ``grants``, for a service whose folder is
    not in place yet). Raises :class:`GenerationFailed` when there is no such content to
    replace or a block or a declaration is unusable. An up-to-date ``text`` comes back as is."""
    data = _load(text, shape)
    if not _set_nats_users(data, root, grants or {}, shape):
        return text
    return yaml_edit.dump(data, text)


def _set_nats_users(
    data: Any, root: Path, grants: Mapping[str, ServiceGrant], shape: ComposeShape
) -> bool:
    """Render the users into ``data``'s ``configs: nats-users: content``; whether it changed."""
    config = data.get("configs") if isinstance(data, dict) else None
    users = config.get(NATS_CONFIG) if isinstance(config, dict) else None
    content = users.get("content") if isinstance(users, dict) else None
    if not isinstance(content, LiteralScalarString):
        raise GenerationFailed(
            f"{shape.file} has no `configs: {NATS_CONFIG}: content: |` block to list the NATS "
            "users in (see the base text it starts from in mkservice/generator/)."
        )
    rendered = _nats_users_config(data, root, grants, shape)
    if str(content) == rendered:
        return False
    assert isinstance(users, dict)
    users["content"] = LiteralScalarString(rendered)
    return True


def _set_scrape_targets(data: Any, shape: ComposeShape) -> None:
    """Render ``configs: prometheus: content`` from the service blocks, when the file has it
    (a file made before the observability profile has not, and stays without)."""
    config = data.get("configs") if isinstance(data, dict) else None
    scrape = config.get(PROMETHEUS_CONFIG) if isinstance(config, dict) else None
    if isinstance(scrape, dict) and isinstance(scrape.get("content"), LiteralScalarString):
        targets = scrape_targets(data, shape)
        rendered = render_prometheus_config(targets, replicated=shape.replicated)
        if str(scrape["content"]) != rendered:
            scrape["content"] = LiteralScalarString(rendered)


def _nats_users_config(
    data: dict[str, Any], root: Path, grants: Mapping[str, ServiceGrant], shape: ComposeShape
) -> str:
    """The content ``configs: nats-users`` must hold for ``data`` (``$`` written ``$$``, but for
    the ``${<PREFIX>NATS_PASSWORD}`` references, left for compose to interpolate)."""
    users = nats_users(data, shape)
    try:
        found = [grants.get(user) or read_grant(root / "services" / user, user) for user in users]
    except GrantError as error:
        raise GenerationFailed(f"cannot read a service's NATS grant ({error}).") from None
    content = render_config(found, NatsCredentials(users)).replace("$", "$$")
    # nats_users admits a `$` in a password only as the whole reference: undo just those.
    for password in {password for password in users.values() if "$" in password}:
        content = content.replace(password.replace("$", "$$"), password)
    return content


def _load(text: str, shape: ComposeShape) -> Any:
    try:
        return yaml_edit.load(text)
    except yaml_edit.YAMLError as error:
        raise GenerationFailed(f"{shape.file} is not valid YAML ({error}).") from None


def _plain(text: str, shape: ComposeShape) -> Any:
    try:
        return yaml_edit.plain(text)
    except yaml_edit.YAMLError as error:
        raise GenerationFailed(f"{shape.file} is not valid YAML ({error}).") from None


def _services_and_init_mounts(data: Any, shape: ComposeShape) -> tuple[CommentedMap, CommentedSeq]:
    """The ``services`` mapping and the postgres ``volumes`` list, or why the file is unusable."""
    services = data.get("services") if isinstance(data, CommentedMap) else None
    postgres = services.get("postgres") if isinstance(services, CommentedMap) else None
    if not isinstance(services, CommentedMap) or not isinstance(postgres, CommentedMap):
        raise GenerationFailed(f"{shape.file} has no services.postgres block to register with.")
    volumes = postgres.get("volumes")
    if not isinstance(volumes, CommentedSeq) or not volumes:
        raise GenerationFailed(f"{shape.file}: services.postgres.volumes must be a list.")
    return services, volumes


def _key_indent(services: CommentedMap) -> int:
    """The column the services' names start at (2 in compose's own style)."""
    first = next(iter(services), None)
    return int(services.lc.key(first)[1]) if first is not None and services.lc.data else 2


def _remove_service(
    services: CommentedMap, volumes: CommentedSeq, slug: str, shape: ComposeShape
) -> bool:
    """Take out the blocks of ``slug`` and its init-script mounts; whether there were any."""
    found = False
    for index in reversed(range(len(volumes))):
        if f"services/{slug}/deploy/" in str(volumes[index]):
            yaml_edit.remove_item(volumes, index)
            found = True
    for name in shape.blocks_of(slug):
        if name in services and name not in shape.infrastructure:
            yaml_edit.remove_entry(services, name, _key_indent(services))
            found = True
    return found


def _without_mounts_of(mounts: list[Any], slugs: Iterable[str]) -> list[Any]:
    return [m for m in mounts if not any(f"services/{s}/deploy/" in str(m) for s in slugs)]


def _verify(
    new_text: str,
    expected: dict[str, Any],
    root: Path,
    grants: Mapping[str, ServiceGrant],
    failure: str,
    shape: ComposeShape,
) -> None:
    """The new text parses, equals ``expected`` but for the NATS users, and lists the users its
    service blocks call for."""
    try:
        new = yaml_edit.plain(new_text)
    except yaml_edit.YAMLError as error:
        raise GenerationFailed(f"the new {shape.file} would not parse ({error}).") from None
    try:
        scrape = new["configs"].get(PROMETHEUS_CONFIG)
        if new["configs"][NATS_CONFIG]["content"] != _nats_users_config(new, root, grants, shape):
            problem: str | None = "the NATS users would not match the service blocks"
        elif scrape is not None and scrape.get("content") != render_prometheus_config(
            scrape_targets(new, shape), replicated=shape.replicated
        ):
            problem = "Prometheus's scrape targets would not match the service blocks"
        else:
            # Checked on their own, just above: both configs change with every block.
            for name in (NATS_CONFIG, PROMETHEUS_CONFIG):
                new["configs"].get(name, {}).pop("content", None)
                expected.get("configs", {}).get(name, {}).pop("content", None)
            problem = None if new == expected else "other parts of the file would change"
    except (KeyError, TypeError, AttributeError):
        problem = "its services, the postgres volumes or the NATS users config are missing"
    if problem is not None:
        raise GenerationFailed(f"{failure} in {shape.file}: {problem}.")
