"""The consumer's code that ``mkservice subscribe`` adds around a copied contract: a domain command,
a handler stub in the service layer, a route in ``messaging/consumers.py`` and a test.

``consumers.py`` is edited through :mod:`ast`: its module-level ``subscriptions`` function must
end in ``return [...]``; the route's closure goes right before that ``return`` and its
``Subscription.of(...)`` at the end of the list. A file of another shape is refused, saying what
to add by hand. The handler stub does nothing but run, once per message: the chassis records the
message in the inbox in the transaction of the unit of work it is given, so a redelivered
duplicate never reaches it.
"""

from __future__ import annotations

import ast
import json
from dataclasses import dataclass
from typing import Any

from mkservice.generator.errors import Refused
from mkservice.generator.subscription_source import (
    LINE_LENGTH,
    Edit,
    apply_edits,
    docstring,
    ensure_from_import,
    merged,
    parse,
    top_level_names,
    wrapped,
)

# Payload fields a domain command can carry as they are (plain data, no framework).
_PLAIN = {"str", "int", "float", "bool"}
# A value of each type that every pydantic model accepts from JSON.
_SAMPLES: dict[str, Any] = {
    "str": None,  # the field's own name, so the sample reads well
    "int": 1,
    "float": 1.5,
    "bool": True,
    "Decimal": "1.50",
    "datetime": "2026-01-01T12:00:00+00:00",
    "date": "2026-01-01",
    "UUID": "00000000-0000-4000-8000-000000000001",
    "EmailStr": "someone@example.com",
    "Any": "x",
}


@dataclass(frozen=True)
class Names:
    """The names the subscription gives its pieces, from the message type: for
    ``orders.order-confirmed`` the command ``HandleOrderConfirmed``, the handler
    ``handle_order_confirmed``, the route ``on_order_confirmed`` and the durable consumer
    ``orders-order-confirmed``."""

    owner: str
    message: str  # order-confirmed

    @property
    def snake(self) -> str:
        return self.message.replace("-", "_")

    @property
    def command(self) -> str:
        return "Handle" + "".join(part.capitalize() for part in self.message.split("-"))

    @property
    def handler(self) -> str:
        return f"handle_{self.snake}"

    @property
    def route(self) -> str:
        return f"on_{self.snake}"

    @property
    def subscription(self) -> str:
        return f"{self.owner}-{self.message}"

    @property
    def test_file(self) -> str:
        return f"tests/integration/test_{self.owner.replace('-', '_')}_{self.snake}.py"


def _annotation_name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    return node.attr if isinstance(node, ast.Attribute) else None


def plain_fields(model: ast.ClassDef) -> list[tuple[str, str]]:
    """The payload's required-or-not fields whose type a dataclass carries as is."""
    found = []
    for statement in model.body:
        if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
            annotation = ast.unparse(statement.annotation)
            bare = annotation.removesuffix(" | None")
            if bare in _PLAIN and not statement.target.id.startswith("_"):
                found.append((statement.target.id, annotation))
    return found


def sample(name: str, models: dict[str, ast.ClassDef], notes: list[str], field: str) -> Any:
    """A JSON value the model ``name`` (or the field type ``name``) accepts."""
    return _sample_of(ast.Name(name), models, notes, field, depth=0)


def _sample_of(
    node: ast.expr, models: dict[str, ast.ClassDef], notes: list[str], field: str, depth: int
) -> Any:
    if isinstance(node, ast.Constant) and node.value is None:
        return None
    if isinstance(node, ast.Constant) and isinstance(node.value, str):  # a forward reference
        return _sample_of(ast.parse(node.value, mode="eval").body, models, notes, field, depth)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):  # X | None
        left_none = isinstance(node.left, ast.Constant) and node.left.value is None
        return _sample_of(node.right if left_none else node.left, models, notes, field, depth)
    if isinstance(node, ast.Subscript):
        outer = _annotation_name(node.value)
        items = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        if outer in ("list", "List", "Sequence", "tuple", "Tuple", "set", "frozenset", "Set"):
            return [_sample_of(items[0], models, notes, field, depth)]
        if outer in ("dict", "Dict", "Mapping"):
            return {}
        if outer in ("Optional", "Annotated", "Union"):
            return _sample_of(items[0], models, notes, field, depth)
        if outer == "Literal" and isinstance(items[0], ast.Constant):
            return items[0].value
    name = _annotation_name(node)
    if name in models and depth < 8:
        return _model_sample(models[name], models, notes, depth + 1)
    if name in _SAMPLES:
        return field if name == "str" else _SAMPLES[name]
    notes.append(f"{field} ({ast.unparse(node)})")
    return None


def _model_sample(
    model: ast.ClassDef, models: dict[str, ast.ClassDef], notes: list[str], depth: int
) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for statement in model.body:
        if not (isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name)):
            continue
        if statement.value is not None or _annotation_name(statement.annotation) == "ClassVar":
            continue  # a default: the sample leaves it out
        field = statement.target.id
        values[field] = _sample_of(statement.annotation, models, notes, field, depth)
    return values


def python_literal(value: Any, indent: str = "") -> str:
    """``value`` (JSON data) as Python source in ruff's style: containers exploded one item a
    line with a trailing comma, so that formatting keeps them so."""
    inner = indent + "    "
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = "".join(
            f"{inner}{json.dumps(key)}: {python_literal(item, inner)},\n"
            for key, item in value.items()
        )
        return "{\n" + items + indent + "}"
    if isinstance(value, list):
        if not value:
            return "[]"
        items = "".join(f"{inner}{python_literal(item, inner)},\n" for item in value)
        return "[\n" + items + indent + "]"
    if isinstance(value, str):
        return json.dumps(value)
    return repr(value)


def command_text(names: Names, message_type: str, fields: list[tuple[str, str]]) -> str:
    """The domain command, appended to ``domain/commands.py``."""
    text = (
        f"{message_type} arrived (added by `mkservice subscribe`): what "
        f"``{names.handler}`` is given. Add the fields it needs."
    )
    body = "".join(f"    {name}: {annotation}\n" for name, annotation in fields)
    return (
        f"\n\n@dataclass(frozen=True)\nclass {names.command}:\n"
        + docstring(text, "    ")
        + ("\n" + body if body else "")
    )


def handler_text(names: Names, message_type: str, owner: str, unit_of_work: str) -> str:
    """The handler stub, appended to ``service_layer/handlers.py``."""
    signature = wrapped(
        f"async def {names.handler}",
        [f"command: {names.command}", f"uow: {unit_of_work}", "now: datetime"],
        " -> None:",
        "",
    )
    text = (
        f"A stub added by `mkservice subscribe`: {owner} sent {message_type}. It runs once "
        "per message (the consumer records the message in the inbox in the transaction of "
        "``uow``, so a redelivered duplicate never gets here) and does nothing yet: change "
        "this service's state through ``uow``, and ``await uow.emit([...])`` what it announces."
    )
    return f"\n\n{signature}\n" + docstring(text, "    ")


def edit_consumers(
    text: str,
    path: str,
    package: str,
    names: Names,
    constant: str,
    model: str,
    fields: list[tuple[str, str]],
) -> str:
    """``consumers.py`` with the route's closure and its durable ``Subscription`` added."""
    hand = (
        f"add by hand a route for {constant} in `subscriptions` (see docs/add-a-service.md, "
        "'Consume another service's event')"
    )
    module = parse(text, path)
    function = None if module is None else top_level_names(module).get("subscriptions")
    if not isinstance(function, ast.FunctionDef) or not function.body:
        raise Refused(f"{path} has no module-level `def subscriptions(...)`: {hand}.")
    assert module is not None
    returned = function.body[-1]
    if not isinstance(returned, ast.Return) or not isinstance(returned.value, ast.List):
        raise Refused(f"{path}: `subscriptions` does not end in `return [...]`: {hand}.")
    local = {n.name for n in ast.walk(function) if isinstance(n, ast.AsyncFunctionDef)}
    if names.route in local or f'"{names.subscription}"' in ast.unparse(returned):
        raise Refused(
            f"{path} already has a route {names.route} or a consumer {names.subscription}."
        )
    edits: list[Edit] = []
    aliases: dict[str, str] = {}
    for source, wanted in (
        ("chassis", ["Incoming", "Subscription", "on"]),
        (f"{package}.domain.commands", [names.command]),
        (f"{package}.messaging", ["contracts"]),
        (f"{package}.service_layer", ["handlers"]),
    ):
        found, edit = ensure_from_import(module, source, wanted, package)
        aliases |= found
        if edit is not None:
            edits.append(edit)
    edits = merged(edits)
    contracts, handlers = aliases["contracts"], aliases["handlers"]
    indent = " " * returned.col_offset
    inner = indent + "    "
    closure = wrapped(
        f"async def {names.route}",
        [f"payload: {contracts}.{model}", f"incoming: {aliases['Incoming']}"],
        " -> None:",
        indent,
    )
    arguments = [f"{field}=payload.{field}" for field, _ in fields]
    command = wrapped(f"command = {aliases[names.command]}", arguments, "", inner)
    call = wrapped(
        f"await {handlers}.{names.handler}",
        ["command", "unit_of_work_for(incoming)", "now=clock()"],
        "",
        inner,
    )
    route = (
        f"{inner}{aliases['Subscription']}.of(\n"
        f'{inner}    "{names.subscription}",\n'
        f"{inner}    [{aliases['on']}({contracts}.{constant}, {names.route})],\n"
        f"{inner}),\n"
    )
    edits.append(Edit(returned.lineno, returned.lineno - 1, f"{closure}\n{command}\n{call}\n\n"))
    elements = returned.value.elts
    end = returned.end_lineno or returned.lineno
    lines = text.splitlines()
    if returned.lineno == end:
        # `return [a, b]` on one line: one element a line, the new one last.
        segments = [ast.get_source_segment(text, element) or "" for element in elements]
        listed = "".join(f"{inner}{segment},\n" for segment in segments)
        if any(len(inner + s) + 1 > LINE_LENGTH for s in segments):
            raise Refused(f"{path}: the list `subscriptions` returns is too long to edit: {hand}.")
        edits.append(Edit(returned.lineno, end, f"{indent}return [\n{listed}{route}{indent}]\n"))
    elif lines[end - 1].strip() == "]":
        last = elements[-1] if elements else None
        if last is not None and not _ends_with_comma(lines, elements):
            # The last element gets the trailing comma a list grown one item a line has.
            row, column = last.end_lineno or 1, last.end_col_offset or 0
            if row >= end:
                raise Refused(f"{path}: `subscriptions` returns a list it cannot extend: {hand}.")
            line = lines[row - 1]
            edits.append(Edit(row, row, f"{line[:column]},{line[column:]}\n"))
        edits.append(Edit(end, end - 1, route))
    else:
        raise Refused(
            f"{path}: the list `subscriptions` returns must close with `]` on a line of its own: "
            f"{hand}."
        )
    return apply_edits(text, edits)


def _ends_with_comma(lines: list[str], elements: list[ast.expr]) -> bool:
    last = elements[-1]
    tail = lines[(last.end_lineno or 1) - 1][last.end_col_offset or 0 :]
    return tail.strip().startswith(",")


def append_with_imports(
    text: str, path: str, package: str, imports: list[tuple[str, str]], addition: str
) -> str:
    """``text`` with ``imports`` made sure of and ``addition`` appended at the end."""
    module = parse(text, path)
    if module is None:
        raise Refused(f"{path} is not valid Python: fix it before subscribing.")
    edits = []
    for source, name in imports:
        found, edit = ensure_from_import(module, source, [name], package)
        if found[name] != name:
            raise Refused(f"{path} imports {name} as {found[name]}: add the subscription by hand.")
        if edit is not None:
            edits.append(edit)
    return apply_edits(text, merged(edits)).rstrip("\n") + "\n" + addition


def test_text(
    names: Names,
    message_type: str,
    package: str,
    class_prefix: str,
    constant: str,
    payload: dict[str, Any],
) -> str:
    """The consumer's test of its new route, over a real nats-server: a probe plays the owner,
    sends the message, then the same message again past the broker's dedupe, then another;
    the handler ran for the first and the last only."""
    settings = f"{class_prefix}Settings"
    test_name = f"test_handles_{names.owner.replace('-', '_')}_{names.snake}_once"
    signature = wrapped(
        f"async def {test_name}",
        ["client: httpx.AsyncClient", f"migrated: {settings}", "monkeypatch: pytest.MonkeyPatch"],
        " -> None:",
        "",
    )
    recording = wrapped(
        "async def recording",
        [f"command: {names.command}", f"uow: {class_prefix}UnitOfWork", "now: datetime"],
        " -> None:",
        "    ",
    )
    again = wrapped(
        "await owner.send",
        [f"contracts.{constant}", "PAYLOAD", 'correlation_id="c-1"', "envelope=sent"]
        + ["broker_dedupe=False"],
        "",
        " " * 8,
    )
    header = docstring(
        f"{message_type} routed to ``{names.handler}`` (added by `mkservice subscribe`): over a "
        f"real nats-server, {names.owner} played by the chassis's ``MessageProbe``, so it need "
        "not run.",
        "",
    )
    return f'''{header}
from __future__ import annotations

from datetime import datetime

import httpx
import pytest
from chassis.testing import MessageProbe, eventually

from {package}.config import {settings}
from {package}.domain.commands import {names.command}
from {package}.messaging import contracts
from {package}.service_layer import handlers
from {package}.service_layer.unit_of_work import {class_prefix}UnitOfWork

# A payload its contract accepts; make it one that exercises your handler.
PAYLOAD = {python_literal(payload)}


{signature}
    handled: list[str] = []  # the id of each message the handler ran for
    stub = handlers.{names.handler}

{recording}
        assert uow.replying_to is not None
        handled.append(uow.replying_to.id)
        await stub(command, uow, now)

    monkeypatch.setattr(handlers, "{names.handler}", recording)
    async with MessageProbe(migrated.nats_url, source="{names.owner}") as owner:
        await owner.create_stream_of("{names.owner}")
        sent = await owner.send(contracts.{constant}, PAYLOAD, correlation_id="c-1")
        await eventually(lambda: len(handled) == 1)
        # The same message again, past the broker's dedupe (as a redelivery is): the inbox
        # ignores it. The next message shows it was read: the consumer reads in order.
{again}
        following = await owner.send(contracts.{constant}, PAYLOAD, correlation_id="c-2")
        await eventually(lambda: len(handled) == 2)

    assert handled == [sent.id, following.id]
'''
