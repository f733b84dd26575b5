"""Editing a YAML file the way a person would: ruamel.yaml's round trip, comments kept.

``load`` parses a file into ruamel's commented tree and ``dump`` writes it back, in the file's own
indentation, quotes and flow style: an untouched file comes back byte for byte. Adding or removing
an entry at the end of a mapping or a list needs one more step, because ruamel keeps the comments
and blank lines that follow a node on that node: what ends a block (its own trailing comments)
stays with it, and what leads to the next part of the file (a blank line, the comment heading the
next section) moves to whatever is last now (:func:`append_entry`, :func:`remove_entry`,
:func:`append_item`, :func:`remove_item`). Removing what was added gives the original file back.
"""

from __future__ import annotations

import io
import re
from collections.abc import Hashable
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedBase, CommentedMap, CommentedSeq
from ruamel.yaml.error import CommentMark, YAMLError
from ruamel.yaml.tokens import CommentToken

__all__ = [
    "YAMLError",
    "append_entry",
    "append_item",
    "dump",
    "load",
    "plain",
    "remove_entry",
    "remove_item",
]

_INDENTED_KEY = re.compile(r"^( +)[^\s#-]", re.MULTILINE)
_ITEM = re.compile(r"^( *)- ", re.MULTILINE)


def _round_trip(text: str) -> YAML:
    yaml = YAML(typ="rt", pure=True)
    yaml.preserve_quotes = True
    yaml.width = 4096  # never fold a long line the file wrote on one
    mapping, sequence, offset = _indentation(text)
    yaml.indent(mapping=mapping, sequence=sequence, offset=offset)
    return yaml


def load(text: str) -> Any:
    """The commented tree of ``text`` (raises ``YAMLError``)."""
    return _round_trip(text).load(text)


def dump(data: Any, like: str) -> str:
    """``data`` as YAML text, indented as the text ``like`` (the file it was loaded from)."""
    out = io.StringIO()
    _round_trip(like).dump(data, out)
    return out.getvalue()


def plain(text: str) -> Any:
    """``text`` as plain dicts, lists and scalars (raises ``YAMLError``)."""
    return YAML(typ="safe", pure=True).load(text)


def _indentation(text: str) -> tuple[int, int, int]:
    """(mapping indent, sequence indent, dash offset) as the file writes them; compose's own
    style (2, 4, 2) for a file that does not say."""
    key = _INDENTED_KEY.search(text)
    mapping = len(key.group(1)) if key else 2
    item = _ITEM.search(text)
    if item is None:
        return mapping, 4, 2
    owner = [line for line in text[: item.start()].splitlines() if line.strip()]
    owner_indent = len(owner[-1]) - len(owner[-1].lstrip()) if owner else 0
    offset = max(len(item.group(1)) - owner_indent, 0)
    return mapping, offset + 2, offset


# Where ruamel keeps the comment after a node: the (container, key) of the node's innermost last
# entry, and the slot of that entry's comment list (2 in a mapping, 0 in a list).
_Slot = tuple[CommentedBase, Hashable, int]


def _tail_slot(container: CommentedMap | CommentedSeq, key: Hashable) -> _Slot:
    owner: CommentedMap | CommentedSeq = container
    node = container[key]  # type: ignore[index]
    while isinstance(node, CommentedMap | CommentedSeq) and len(node) and not node.fa.flow_style():
        key = next(reversed(node)) if isinstance(node, CommentedMap) else len(node) - 1
        owner, node = node, node[key]
    return owner, key, 2 if isinstance(owner, CommentedMap) else 0


def _tail(slot: _Slot) -> str:
    owner, key, position = slot
    entry = owner.ca.items.get(key)
    token = entry[position] if entry else None
    return str(token.value) if token is not None else ""


def _set_tail(slot: _Slot, value: str) -> None:
    owner, key, position = slot
    entry = owner.ca.items.setdefault(key, [None, None, None, None])
    if value in ("", "\n"):
        entry[position] = None
    elif entry[position] is not None:
        entry[position].value = value
    else:
        entry[position] = CommentToken(value, CommentMark(0), None)


def _split(tail: str, indent: int | None) -> tuple[str, list[str]]:
    """A node's trailing text as (what stays with it: its end-of-line comment and the comment
    lines indented deeper than ``indent``, the lines leading to what follows). With ``indent``
    ``None`` only the end-of-line comment stays."""
    if not tail:
        return "", []
    end_of_line, *lines = tail.split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # the newline that ends the last line
    inner = 0
    while (
        indent is not None
        and inner < len(lines)
        and lines[inner].lstrip().startswith("#")
        and len(lines[inner]) - len(lines[inner].lstrip()) > indent
    ):
        inner += 1
    return "\n".join([end_of_line, *lines[:inner]]), lines[inner:]


def _join(stays: str, lines: list[str]) -> str:
    return stays + "\n" + "".join(f"{line}\n" for line in lines)


def append_entry(mapping: CommentedMap, key: str, value: Any, indent: int) -> None:
    """Add ``key: value`` at the end of ``mapping`` (whose keys are indented ``indent``), after a
    blank line; what followed the old last entry now follows the new one."""
    last = next(reversed(mapping)) if mapping else None
    mapping[key] = value
    if last is None:
        return
    old = _tail_slot(mapping, last)
    stays, lines = _split(_tail(old), indent)
    _set_tail(old, _join(stays, [""]))
    _set_tail(_tail_slot(mapping, key), _join("", lines))


def remove_entry(mapping: CommentedMap, key: str, indent: int) -> None:
    """Remove ``key`` from ``mapping``; what followed it now follows the entry before it, and
    what led up to it (a blank line, a comment heading it) goes with it."""
    keys = list(mapping)
    position = keys.index(key)
    _, lines = _split(_tail(_tail_slot(mapping, key)), indent)
    if position > 0:
        before = _tail_slot(mapping, keys[position - 1])
        stays, _ = _split(_tail(before), indent)
        _set_tail(before, _join(stays, lines))
    del mapping[key]
    mapping.ca.items.pop(key, None)  # or a key added again later would wear its old comment


def append_item(items: CommentedSeq, value: Any) -> None:
    """Add ``value`` at the end of the list; comment lines after the old last item follow the
    new one (its end-of-line comment stays on it)."""
    items.append(value)
    if len(items) < 2 or items.fa.flow_style():
        return
    old: _Slot = (items, len(items) - 2, 0)
    stays, lines = _split(_tail(old), None)
    _set_tail(old, _join(stays, []))
    _set_tail((items, len(items) - 1, 0), _join("", lines))


def remove_item(items: CommentedSeq, index: int) -> None:
    """Remove the item at ``index``; the comment lines after it now follow the item before."""
    if index > 0 and not items.fa.flow_style():
        _, lines = _split(_tail((items, index, 0)), None)
        before: _Slot = (items, index - 1, 0)
        stays, _ = _split(_tail(before), None)
        _set_tail(before, _join(stays, lines))
    del items[index]
