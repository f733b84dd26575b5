"""What breaks a message contract, read from two AsyncAPI documents (ADR 0027).

Two comparisons:

- **evolution**: a service's document now against the same document at a git ref, for the
  messages the service owns. A message is its type and major version; a change that would break
  the other side (a removed type or field, a renamed field, a narrowed type, a new required field
  in what it accepts, a field it no longer guarantees in what it sends, a removed enum value)
  must come as a new version. Adding a field to what it sends, or an optional one to what it
  accepts, passes.
- **across services**: a consumer's copy of a contract against its owner's document. A copy
  that reads a field the owner does not guarantee, a type the owner may send but the copy does
  not accept, or a type or version the owner no longer has, fails; as does a command copy that
  leaves out a field the owner requires.

Every payload is the side's own view (chassis.asyncapi): what a service sends says what it
guarantees (``required``), what it receives says what it needs.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

_SCHEMAS_REF = "#/components/schemas/"
# The JSON types a schema admits; "integer" is also a "number".
_ANY = frozenset({"string", "number", "integer", "boolean", "object", "array", "null"})
# Bounds that, moved inwards, refuse what was accepted before.
_LOWER_BOUNDS = ("minLength", "minimum", "exclusiveMinimum", "minItems")
_UPPER_BOUNDS = ("maxLength", "maximum", "exclusiveMaximum", "maxItems")


@dataclass(frozen=True)
class Break:
    """One incompatibility: where in the document it shows (1-based line) and what it is."""

    line: int
    detail: str


@dataclass(frozen=True)
class Message:
    """One message of a document: its type, major version, owner, direction and payload."""

    key: str  # "orders.order-confirmed v1"
    type: str
    version: int
    owner: str
    action: str  # "send" or "receive", as the document's service does
    payload: Any  # the ``data`` schema, a ``$ref`` into the components
    line: int


def messages_of(document: Mapping[str, Any]) -> dict[str, Message]:
    """The messages of an AsyncAPI document written by chassis.asyncapi, by type and version."""
    components = document.get("components") or {}
    catalogue = components.get("messages") or {}
    channels = document.get("channels") or {}
    found: dict[str, Message] = {}
    for operation in (document.get("operations") or {}).values():
        channel_id = str(operation["channel"]["$ref"]).rsplit("/", 1)[-1]
        owner = str(channels.get(channel_id, {}).get("x-owner", ""))
        for ref in operation.get("messages", []):
            message_id = str(ref["$ref"]).rsplit("/", 1)[-1]
            message = catalogue[message_id]
            key = f"{message['name']} v{message['x-version']}"
            data = message["payload"]["properties"]["data"]
            found[key] = Message(
                key,
                str(message["name"]),
                int(message["x-version"]),
                owner,
                str(operation["action"]),
                data,
                _line(catalogue, message_id) or 1,
            )
    return found


def evolution_breaks(
    service: str, before: Mapping[str, Any], after: Mapping[str, Any]
) -> Iterator[Break]:
    """What a change of ``service``'s own messages breaks, ``before`` -> ``after`` (lines in
    ``after``)."""
    old, new = messages_of(before), messages_of(after)
    newer = {(m.type, m.version) for m in new.values()}
    for key, was in old.items():
        if was.owner != service:
            continue  # a copy: checked against its owner's document instead
        now = new.get(key)
        if now is None:
            if not any(t == was.type and v > was.version for t, v in newer):
                yield Break(1, f"the message {key} was removed without a newer version of it")
            continue
        where = f"{key}: data"
        if was.action == "send":
            # Its readers relied on what the old version guaranteed.
            provided, relied = Side(after, now.payload), Side(before, was.payload)
            rules = _Rules(now.line, located="provided", absent="field removed")
            yield from _satisfies(provided, relied, where, rules)
        else:
            # Its senders send what the old version accepted.
            provided, relied = Side(before, was.payload), Side(after, now.payload)
            rules = _Rules(
                now.line,
                located="relied",
                bounds=True,
                removals=True,
                absent="a new required field",
                renames=False,
            )
            yield from _satisfies(provided, relied, where, rules)


@dataclass(frozen=True)
class CrossBreak:
    """A consumer's copy that does not match its owner: the line is in the consumer's file."""

    line: int
    owner: str
    detail: str


def cross_service_breaks(
    consumer: str, consumer_doc: Mapping[str, Any], owner: str, owner_doc: Mapping[str, Any]
) -> Iterator[CrossBreak]:
    """How ``consumer``'s copies of ``owner``'s contracts disagree with ``owner``'s document."""
    theirs = messages_of(owner_doc)
    for key, copy in messages_of(consumer_doc).items():
        if copy.owner != owner:
            continue
        real = theirs.get(key)
        if real is None or real.action == copy.action:
            verb = "publishes" if copy.action == "receive" else "accepts"
            yield CrossBreak(
                copy.line, owner, f"{consumer} {copy.action}s {key}, which {owner} no longer {verb}"
            )
            continue
        where = f"{key}: data"
        if copy.action == "receive":
            # The owner sends it: what the copy needs, the owner must guarantee.
            provided, relied = Side(owner_doc, real.payload), Side(consumer_doc, copy.payload)
            rules = _Rules(
                copy.line,
                located="relied",
                renames=False,
                absent=f"required by this copy, never sent by {owner}",
            )
        else:
            # The consumer sends it: what the owner needs, the copy must send.
            provided, relied = Side(consumer_doc, copy.payload), Side(owner_doc, real.payload)
            rules = _Rules(
                copy.line,
                located="provided",
                renames=False,
                absent=f"required by {owner}, missing from this copy",
            )
        for found in _satisfies(provided, relied, where, rules):
            yield CrossBreak(found.line, owner, found.detail)


@dataclass(frozen=True)
class Side:
    """A schema and the document its ``$ref`` point into."""

    document: Mapping[str, Any]
    schema: Any

    def resolved(self) -> Mapping[str, Any]:
        return _resolve(self.document, self.schema)

    def of(self, schema: Any) -> Side:
        return Side(self.document, schema)

    def definition_line(self) -> int | None:
        """The line of the shared schema a ``$ref`` points to, if it is one."""
        ref = self.schema.get("$ref") if isinstance(self.schema, Mapping) else None
        if not isinstance(ref, str) or not ref.startswith(_SCHEMAS_REF):
            return None
        return _line(
            self.document.get("components", {}).get("schemas", {}), ref[len(_SCHEMAS_REF) :]
        )


@dataclass(frozen=True)
class _Rules:
    """How strict a comparison is and whose document its lines point into."""

    fallback: int
    located: str  # "provided" or "relied"
    bounds: bool = False  # a tighter min/max is a break (a receiver's own evolution)
    removals: bool = False  # a field the receiver no longer has is a break (its evolution)
    absent: str = "removed"  # what a required field missing on the provided side means
    renames: bool = True  # guess a rename when a field went and another came


def _satisfies(
    provided: Side, relied: Side, where: str, rules: _Rules, at: int | None = None
) -> Iterator[Break]:
    """The ways messages shaped by ``provided`` fail what ``relied`` expects: a type it may
    hold that ``relied`` refuses, an enum value outside ``relied``'s, a field ``relied`` requires
    that ``provided`` does not always hold; recursively through fields and array items."""
    given, expected = provided.resolved(), relied.resolved()
    located = provided if rules.located == "provided" else relied
    here = given if located is provided else expected
    line = at or located.definition_line() or _line_of(here, rules.fallback)
    given_types, expected_types = (
        _types(provided.document, given),
        _types(relied.document, expected),
    )
    if not _within(given_types, expected_types):
        extra = ", ".join(sorted(given_types - expected_types, key=str))
        yield Break(line, f"{where} narrowed: it may be {extra}, which is refused")
    if _enum(expected):
        outside = _enum(given) - _enum(expected)
        if outside or not _enum(given):
            what = f"enum value {_names(outside)}" if outside else "any value outside its enum"
            yield Break(line, f"{where}: {what} is refused")
    if rules.bounds:
        yield from _tighter_bounds(given, expected, where, line)
    given_props, expected_props = _properties(given), _properties(expected)
    given_required = _required(given)
    for name in sorted(_required(expected) - given_required):
        if name in given_props:
            detail = f"{where}.{name}: required, but not always present"
        else:
            renamed = _renamed(
                relied.of(expected_props.get(name)), provided, given_props, set(expected_props)
            )
            hint = f" (renamed to {renamed!r}?)" if renamed and rules.renames else ""
            detail = f"{where}.{name}: {rules.absent}{hint}"
        field_line = _line(expected_props, name) if rules.located == "relied" else None
        yield Break(field_line or line, detail)
    if rules.removals:
        for name in given_props:
            if name not in expected_props:
                renamed = _renamed(
                    provided.of(given_props[name]), relied, expected_props, set(given_props)
                )
                hint = f" (renamed to {renamed!r}?)" if renamed else ""
                yield Break(line, f"{where}: field {name!r} removed{hint}")
    here_props = given_props if located is provided else expected_props
    for name, schema in expected_props.items():
        if name in given_props:
            yield from _satisfies(
                provided.of(given_props[name]),
                relied.of(schema),
                f"{where}.{name}",
                rules,
                _line(here_props, name),
            )
    if "items" in given and "items" in expected:
        yield from _satisfies(
            provided.of(given["items"]), relied.of(expected["items"]), f"{where}[]", rules
        )


def _tighter_bounds(
    given: Mapping[str, Any], expected: Mapping[str, Any], where: str, line: int
) -> Iterator[Break]:
    for bound in _LOWER_BOUNDS:
        if bound in expected and (bound not in given or expected[bound] > given[bound]):
            yield Break(line, f"{where}: {bound} narrowed to {expected[bound]}")
    for bound in _UPPER_BOUNDS:
        if bound in expected and (bound not in given or expected[bound] < given[bound]):
            yield Break(line, f"{where}: {bound} narrowed to {expected[bound]}")


def _renamed(gone: Side, other: Side, candidates: Mapping[str, Any], known: set[str]) -> str:
    """A field of the other side, unknown to this one, shaped like the one that is gone:
    probably its new name."""
    shape = _shape(gone.document, gone.schema)
    for name, schema in candidates.items():
        if name not in known and _shape(other.document, schema) == shape:
            return name
    return ""


def _resolve(document: Mapping[str, Any], schema: Any, depth: int = 0) -> Mapping[str, Any]:
    if not isinstance(schema, Mapping):
        return {}
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith(_SCHEMAS_REF) and depth < 32:
        target = document.get("components", {}).get("schemas", {}).get(ref[len(_SCHEMAS_REF) :])
        return _resolve(document, target, depth + 1)
    return schema


def _types(document: Mapping[str, Any], schema: Mapping[str, Any]) -> frozenset[str]:
    """The JSON types ``schema`` admits (everything when it does not say)."""
    schema = _resolve(document, schema)
    if "const" in schema:
        return frozenset({_json_type(schema["const"])})
    if "enum" in schema and schema["enum"]:
        return frozenset(_json_type(value) for value in schema["enum"])
    for combinator in ("anyOf", "oneOf"):
        if combinator in schema:
            found: set[str] = set()
            for option in schema[combinator]:
                found |= _types(document, option)
            return frozenset(found)
    declared = schema.get("type")
    if declared is None:
        return _ANY
    names = [declared] if isinstance(declared, str) else list(declared)
    return frozenset(names)


def _within(types: frozenset[str], allowed: frozenset[str]) -> bool:
    """Every type of ``types`` is admitted by ``allowed`` (an integer is a number)."""
    return all(t in allowed or (t == "integer" and "number" in allowed) for t in types)


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _enum(schema: Mapping[str, Any]) -> set[Any]:
    values = schema.get("enum")
    if values:
        return set(values)
    return {schema["const"]} if "const" in schema else set()


def _properties(schema: Mapping[str, Any]) -> Mapping[str, Any]:
    return schema.get("properties") or {}


def _required(schema: Mapping[str, Any]) -> set[str]:
    return set(schema.get("required") or [])


def _shape(document: Mapping[str, Any], schema: Any) -> Any:
    resolved = _resolve(document, schema)
    return (sorted(_types(document, resolved)), sorted(map(str, _enum(resolved))))


def _names(values: set[Any]) -> str:
    return ", ".join(repr(value) for value in sorted(values, key=str))


def _line_of(node: Any, fallback: int) -> int:
    """The 1-based line of a mapping loaded by ruamel's round-trip loader."""
    lc = getattr(node, "lc", None)
    line = getattr(lc, "line", None) if lc is not None else None
    return line + 1 if isinstance(line, int) else fallback


def _line(mapping: Any, key: str) -> int | None:
    """The 1-based line of ``key`` in a mapping loaded by ruamel's round-trip loader."""
    lc = getattr(mapping, "lc", None)
    try:
        return int(lc.key(key)[0]) + 1 if lc is not None else None
    except (KeyError, TypeError):
        return None
