"""Copying a contract from its owner's ``messaging/contracts.py`` into a consumer's, for
``mkservice subscribe`` (ADR 0008: copied, never imported).

Both files are read with :mod:`ast`, never imported. What is copied is source text: the
``Contract(...)`` constant, the payload model, every module-level class or alias it refers to
(nested models first, in the owner's order) and the imports those need. It goes into the
consumer's ``# --- copied from <owner> ---`` section, made at the end of the file when missing.
A definition the consumer already has with the same source is reused; one of another shape is a
clash, refused.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from mkservice.generator.errors import Refused
from mkservice.generator.subscription_source import (
    apply_edits,
    ensure_from_import,
    merged,
    parse,
    top_level_names,
)

SECTION_WIDTH = 99  # as the reference services draw their section lines


@dataclass(frozen=True)
class FoundContract:
    """One ``NAME = Contract(subject, type, Model, version)`` of a contracts module."""

    constant: str
    subject: str
    type: str
    model: str
    version: int
    node: ast.stmt


@dataclass(frozen=True)
class CopiedContract:
    """The consumer's contracts.py with the copy in it, and what the copy holds."""

    text: str
    contract: FoundContract
    # The payload model and every model it nests, as parsed from the owner (by name).
    models: dict[str, ast.ClassDef]


def contracts_in(module: ast.Module) -> list[FoundContract]:
    """Every module-level contract constant whose arguments are literals (others are skipped:
    they cannot be read without running the module)."""
    found = []
    for node in module.body:
        target, value = _assignment(node)
        if target is None or not isinstance(value, ast.Call) or _callee(value) != "Contract":
            continue
        fields = dict(zip(("subject", "type", "model", "version"), value.args, strict=False))
        fields |= {keyword.arg: keyword.value for keyword in value.keywords if keyword.arg}
        subject, kind, model = (
            _text(fields.get("subject")),
            _text(fields.get("type")),
            fields.get("model"),
        )
        version = fields.get("version", ast.Constant(1))
        number = version.value if isinstance(version, ast.Constant) else None
        if subject is None or kind is None or not isinstance(model, ast.Name):
            continue
        if not isinstance(number, int) or isinstance(number, bool):
            continue
        found.append(FoundContract(target, subject, kind, model.id, number, node))
    return found


def _assignment(node: ast.stmt) -> tuple[str | None, ast.expr | None]:
    if isinstance(node, ast.Assign) and len(node.targets) == 1:
        target = node.targets[0]
        return (target.id if isinstance(target, ast.Name) else None), node.value
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
        return node.target.id, node.value
    return None, None


def _callee(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    return call.func.attr if isinstance(call.func, ast.Attribute) else None


def _text(node: ast.expr | None) -> str | None:
    """The string a literal holds (``None`` for anything else)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def find_owned(owner_text: str, owner: str, message_type: str, path: str) -> FoundContract:
    """The contract of ``message_type`` that ``owner`` owns (its subject under ``owner.``); the
    highest version when there are several. Raises :class:`Refused` when there is none."""
    module = parse(owner_text, path)
    if module is None:
        raise Refused(f"{path} is not valid Python, so its contracts cannot be read.")
    owned = [
        found
        for found in contracts_in(module)
        if found.type == message_type and found.subject.split(".")[0] == owner
    ]
    if not owned:
        known = sorted({f.type for f in contracts_in(module) if f.subject.startswith(f"{owner}.")})
        listed = f" (it has {', '.join(known)})" if known else ""
        raise Refused(f"{owner} owns no message type {message_type!r} in {path}{listed}.")
    return max(owned, key=lambda found: found.version)


def _referenced(node: ast.AST) -> set[str]:
    return {child.id for child in ast.walk(node) if isinstance(child, ast.Name)}


def _needed(module: ast.Module, start: ast.stmt) -> tuple[list[ast.stmt], set[str]]:
    """The module-level definitions ``start`` needs (itself included), in the module's order,
    and the imported names they use."""
    names = top_level_names(module)
    wanted: set[int] = set()
    imported: set[str] = set()
    pending = [start]
    while pending:
        node = pending.pop()
        if id(node) in wanted:
            continue
        wanted.add(id(node))
        for name in _referenced(node):
            definition = names.get(name)
            if isinstance(definition, ast.Import | ast.ImportFrom):
                imported.add(name)
            elif definition is not None and id(definition) not in wanted:
                pending.append(definition)
    return [node for node in module.body if id(node) in wanted], imported


def _defined_name(node: ast.stmt) -> str:
    if isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
        return node.name
    target, _ = _assignment(node)
    assert target is not None
    return target


def _source(text: str, node: ast.stmt) -> str:
    """The statement's source lines, its decorators and the comment lines right above it."""
    lines = text.splitlines()
    first = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
    while (
        first > 1 and lines[first - 2].startswith("#") and not lines[first - 2].startswith("# ---")
    ):
        first -= 1
    return "\n".join(lines[first - 1 : node.end_lineno]) + "\n"


def copy_contract(
    owner: str,
    owner_text: str,
    found: FoundContract,
    consumer_text: str,
    consumer_path: str,
    first_party: str,
) -> CopiedContract:
    """The consumer's contracts.py with ``found`` and all it needs copied in.

    Raises :class:`Refused` when the consumer already has the contract (same type and
    version) or has a name the copy needs bound to something else.
    """
    consumer = parse(consumer_text, consumer_path)
    if consumer is None:
        raise Refused(f"{consumer_path} is not valid Python: fix it before subscribing.")
    for existing in contracts_in(consumer):
        if existing.type == found.type and existing.version == found.version:
            raise Refused(
                f"Already subscribed: {consumer_path} has {found.type} (version "
                f"{found.version}) as {existing.constant}."
            )
    owner_module = parse(owner_text, owner)
    assert owner_module is not None  # find_owned parsed it
    definitions, imported = _needed(owner_module, found.node)
    present = top_level_names(consumer)
    copied: list[str] = []
    for node in definitions:
        name = _defined_name(node)
        mine = present.get(name)
        if mine is None:
            copied.append(_source(owner_text, node))
        elif ast.dump(mine) != ast.dump(node):
            raise Refused(
                f"{consumer_path} already defines {name}, not as {owner} does: rename one of "
                f"them, or copy {found.type} by hand."
            )
    owner_names = top_level_names(owner_module)
    by_module: dict[str, list[str]] = {}
    for name in sorted(imported):
        node = owner_names[name]
        if name in present:
            if isinstance(present[name], ast.Import | ast.ImportFrom):
                continue  # the consumer imports it already (the same, as a rule: BaseModel)
            raise Refused(f"{consumer_path} already binds {name}, which {owner}'s copy imports.")
        by_module.setdefault(_import_source(node, name), []).append(name)
    edits = []
    for source, names in by_module.items():
        _, edit = ensure_from_import(consumer, source, names, first_party)
        if edit is not None:
            edits.append(edit)
    text = apply_edits(consumer_text, merged(edits)) if edits else consumer_text
    text = _into_section(text, owner, copied)
    models = {
        node.name: node
        for node in definitions
        if isinstance(node, ast.ClassDef) and _defined_name(node) != found.constant
    }
    return CopiedContract(text, found, models)


def _import_source(node: ast.stmt, name: str) -> str:
    """The module ``name`` is imported from by ``node`` (a plain ``from module import name``)."""
    if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
        for alias in node.names:
            if (alias.asname or alias.name) == name and alias.asname is None:
                return node.module
    raise Refused(
        f"The copy needs {name}, imported in a way mkservice cannot repeat "
        f"({ast.unparse(node)}): copy the contract by hand."
    )


def _marker(owner: str) -> str:
    head = f"# --- copied from {owner} "
    return head + "-" * max(3, SECTION_WIDTH - len(head))


def _into_section(text: str, owner: str, copied: list[str]) -> str:
    """``text`` with ``copied`` (statement sources) at the end of the section copied from
    ``owner``, or in a new such section at the end of the file."""
    if not copied:
        return text
    block = "\n\n".join(source.rstrip("\n") + "\n" for source in copied)
    lines = text.splitlines(keepends=True)
    start = next(
        (i for i, line in enumerate(lines) if line.startswith(f"# --- copied from {owner} ")), None
    )
    if start is None:
        return text.rstrip("\n") + f"\n\n\n{_marker(owner)}\n" + block
    end = next(
        (i for i in range(start + 1, len(lines)) if lines[i].startswith("# ---")), len(lines)
    )
    before = "".join(lines[:end]).rstrip("\n")
    after = "".join(lines[end:])
    joined = f"{before}\n\n\n{block}"
    return joined + (f"\n\n{after}" if after else "")
