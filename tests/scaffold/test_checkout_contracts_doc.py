"""docs/checkout-contracts.md is checked against the AsyncAPI documents it describes: every
message of the checkout's owners is in its tables, with its subject and the fields its owner's
document gives (ADR 0027). A contract changed without its docs fails here."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "checkout-contracts.md"
OWNERS = ("inventory", "payments", "orders")
_ROW = re.compile(r"^\| `(?P<subject>[^`]+)` \| `(?P<type>[^`]+)` \| `(?P<data>\{.*?\})`")


def _documents() -> dict[str, Any]:
    paths = {owner: ROOT / "services" / owner / "contracts" / "asyncapi.yaml" for owner in OWNERS}
    if not DOC.is_file() or not all(path.is_file() for path in paths.values()):
        pytest.skip("the reference checkout is not in this workspace")
    yaml = YAML(typ="safe", pure=True)
    return {owner: yaml.load(path.read_text(encoding="utf-8")) for owner, path in paths.items()}


def _fields(shape: str) -> dict[str, Any]:
    """``{order_id, lines: [{sku, quantity}]}`` -> ``{"order_id": None, "lines": {...}}``."""
    inner, fields, depth, name, start = shape.strip()[1:-1], {}, 0, "", 0
    for index, char in enumerate(inner + ","):
        depth += char in "[{"
        depth -= char in "]}"
        if char == "," and depth == 0:
            part = inner[start:index].strip()
            name, _, nested = part.partition(":")
            nested = nested.strip().strip("[]")
            fields[name.strip()] = _fields(nested) if nested.startswith("{") else None
            start = index + 1
    return fields


def _schema_fields(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    schemas = document["components"]["schemas"]
    while "$ref" in schema:
        schema = schemas[schema["$ref"].rsplit("/", 1)[-1]]
    found = {}
    for name, field in schema.get("properties", {}).items():
        items = field.get("items", {})
        found[name] = _schema_fields(document, items) if "$ref" in items else None
    return found


def _owned_messages(owner: str, document: dict[str, Any]) -> dict[str, tuple[str, Any]]:
    owned = {}
    for channel in document["channels"].values():
        if channel["x-owner"] != owner:
            continue
        for ref in channel["messages"].values():
            message = document["components"]["messages"][ref["$ref"].rsplit("/", 1)[-1]]
            data = message["payload"]["properties"]["data"]
            owned[message["name"]] = (channel["address"], _schema_fields(document, data))
    return owned


def test_the_checkout_contracts_doc_lists_every_owned_message_as_its_document_does() -> None:
    documents = _documents()
    rows = {
        match["type"]: (match["subject"], _fields(match["data"]))
        for line in DOC.read_text(encoding="utf-8").splitlines()
        if (match := _ROW.match(line))
    }
    expected = {}
    for owner, document in documents.items():
        expected.update(_owned_messages(owner, document))
    assert rows == expected
