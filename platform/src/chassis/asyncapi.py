"""A service's message contracts as an AsyncAPI 3.0 document (ADR 0027).

The document is generated from the contracts module (``<package>.messaging.contracts``), never
written by hand: every message the service sends (its own events and replies, the commands it
sends to another service) and every one it receives (the commands it accepts, the events it
reads), each on its channel (the NATS subject) with the envelope, its headers and the payload's
JSON Schema. The direction follows from the subject: a service publishes its own ``evt``
subjects and accepts its own ``cmd`` subjects; a copied contract is the other way round.

A payload is described as the side that holds the document sees it: what a service sends in
pydantic's serialisation mode (every field it always writes is ``required``: what it
guarantees), what it receives in validation mode (what it requires). That is what the
compatibility check (``mkservice check``) compares between an owner and its consumers.
"""

from __future__ import annotations

import importlib.metadata
import sys
import tomllib
from collections.abc import Iterable
from pathlib import Path, PurePosixPath
from types import ModuleType
from typing import Any, Literal

from chassis import naming
from chassis.contracts import Contract
from chassis.envelope import (
    CAUSATION_HEADER,
    CORRELATION_HEADER,
    MSG_ID_HEADER,
    SCHEMA_VERSION_HEADER,
    SOURCE_HEADER,
    TYPE_HEADER,
)
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaMode, models_json_schema
from pydantic_core import core_schema

ASYNCAPI_VERSION = "3.0.0"
# Where a service keeps its document, from its own folder (written by `mkservice contracts`).
DOCUMENT_PATH = PurePosixPath("contracts/asyncapi.yaml")
SEND: Literal["send"] = "send"
RECEIVE: Literal["receive"] = "receive"
_SCHEMAS = "#/components/schemas/"


def contracts_in(module: ModuleType) -> list[Contract[Any]]:
    """Every :class:`Contract` a contracts module defines, in the order it defines them."""
    return [value for value in vars(module).values() if isinstance(value, Contract)]


def direction(service: str, contract: Contract[Any]) -> Literal["send", "receive"]:
    """Whether ``service`` sends or receives ``contract``'s messages."""
    own = contract.owner == service
    is_command = contract.subject.split(".")[1:2] == [naming.COMMAND]
    return RECEIVE if own == is_command else SEND


def message_id(contract: Contract[Any]) -> str:
    """``orders.order-confirmed`` version 1 -> ``orders-order-confirmed-v1``."""
    return f"{_identifier(contract.type)}-v{contract.version}"


def asyncapi_document(
    service: str, contracts: Iterable[Contract[Any]], *, version: str | None = None
) -> dict[str, Any]:
    """The AsyncAPI 3.0 document of ``service`` holding ``contracts`` (a plain JSON-ready dict,
    the same whether served at ``/asyncapi.json`` or written to ``contracts/asyncapi.yaml``).
    ``version`` is the service's (by default, found as :func:`_version_of` says)."""
    ordered = sorted(contracts, key=lambda c: (c.subject, c.type, c.version))
    payloads = _payload_schemas(service, ordered)
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    for contract in ordered:
        channel_id, msg_id = _identifier(contract.subject), message_id(contract)
        channel = channels.setdefault(
            channel_id,
            {"address": contract.subject, "x-owner": contract.owner, "messages": {}},
        )
        channel["messages"][msg_id] = {"$ref": f"#/components/messages/{msg_id}"}
        messages[msg_id] = _message(contract, payloads[contract])
        action = direction(service, contract)
        operations[f"{action}-{msg_id}"] = {
            "action": action,
            "channel": {"$ref": f"#/channels/{channel_id}"},
            "messages": [{"$ref": f"#/channels/{channel_id}/messages/{msg_id}"}],
        }
    return {
        "asyncapi": ASYNCAPI_VERSION,
        "info": {
            "title": service,
            "version": version or _version_of(service, ordered),
            "description": (
                f"The messages {service} sends and receives over NATS JetStream. Generated from "
                "its contracts module by `mkservice contracts`: do not edit."
            ),
        },
        "defaultContentType": "application/json",
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": payloads.schemas},
    }


class _WhatIsWritten(GenerateJsonSchema):
    """Pydantic's schemas, with every field the chassis writes ``required`` in serialisation
    mode: the unit of work dumps a payload whole (``model_dump(mode="json")``, no
    ``exclude_defaults``), so a field with a default is always on the wire. Pydantic's own
    default leaves such fields optional, which would tell consumers they cannot rely on them."""

    def field_is_required(
        self,
        field: core_schema.ModelField | core_schema.DataclassField | core_schema.TypedDictField,
        total: bool,
    ) -> bool:
        if self.mode == "serialization":
            return field.get("serialization_exclude_if") is None
        return super().field_is_required(field, total)


class _Payloads(dict[Contract[Any], dict[str, Any]]):
    """Each contract's payload schema (a ``$ref``), and the shared schemas they refer to."""

    schemas: dict[str, Any]


def _payload_schemas(service: str, contracts: list[Contract[Any]]) -> _Payloads:
    # One pass over every model: pydantic names shared nested models once, and tells a model
    # used in both modes apart (``Line-Input``/``Line-Output``) when the two schemas differ.
    modes: dict[Contract[Any], JsonSchemaMode] = {
        contract: "serialization" if direction(service, contract) == SEND else "validation"
        for contract in contracts
    }
    keys = list(dict.fromkeys((contract.model, modes[contract]) for contract in contracts))
    refs, definitions = models_json_schema(
        keys, ref_template=_SCHEMAS + "{model}", schema_generator=_WhatIsWritten
    )
    payloads = _Payloads({c: refs[(c.model, modes[c])] for c in contracts})
    payloads.schemas = dict(sorted(definitions.get("$defs", {}).items()))
    return payloads


def _message(contract: Contract[Any], payload: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": contract.type,
        "title": contract.model.__name__,
        "summary": _summary(contract),
        "contentType": "application/json",
        "x-version": contract.version,
        "headers": _headers(contract),
        "payload": _envelope(contract, payload),
    }


def _headers(contract: Contract[Any]) -> dict[str, Any]:
    text = {"type": "string"}
    return {
        "type": "object",
        "required": [
            MSG_ID_HEADER,
            TYPE_HEADER,
            SOURCE_HEADER,
            SCHEMA_VERSION_HEADER,
            CORRELATION_HEADER,
        ],  # fmt: skip
        "properties": {
            MSG_ID_HEADER: {**text, "description": "The envelope's id: JetStream's dedupe key."},
            TYPE_HEADER: {"const": contract.type},
            SOURCE_HEADER: {**text, "description": "The service that sent it."},
            SCHEMA_VERSION_HEADER: {"const": str(contract.version)},
            CORRELATION_HEADER: {**text, "description": "The business flow (a saga's id)."},
            CAUSATION_HEADER: {**text, "description": "The id of the message that caused it."},
        },
    }


def _envelope(contract: Contract[Any], payload: dict[str, Any]) -> dict[str, Any]:
    """The body on the wire: :class:`chassis.Envelope` with this contract's type, version and
    payload."""
    text = {"type": "string"}
    return {
        "type": "object",
        "required": [
            "id",
            "type",
            "source",
            "occurred_at",
            "correlation_id",
            "schema_version",
            "data",
        ],  # fmt: skip
        "properties": {
            "id": text,
            "type": {"const": contract.type},
            "source": text,
            "occurred_at": {**text, "format": "date-time"},
            "correlation_id": text,
            "causation_id": {"anyOf": [text, {"type": "null"}]},
            "schema_version": {"const": contract.version},
            "data": payload,
        },
        "additionalProperties": False,
    }


def _summary(contract: Contract[Any]) -> str:
    doc = (contract.model.__doc__ or "").strip()
    if doc:
        return doc.splitlines()[0]
    kind = "command" if contract.subject.split(".")[1:2] == [naming.COMMAND] else "event"
    return f"The {kind} {contract.type}, version {contract.version}."


def _identifier(name: str) -> str:
    # AsyncAPI component and channel keys allow letters, digits, ``_`` and ``-`` only.
    return "".join(ch if ch.isalnum() or ch in "_-" else "-" for ch in name)


def _version_of(service: str, contracts: list[Contract[Any]]) -> str:
    """The service's own version: its installed distribution's, or else the ``pyproject.toml``
    above its contracts module (a service run from its source folder, not installed, as
    ``mkservice new --no-install`` leaves it). Both give the same answer, so the document a
    service serves does not depend on whether it was installed when it was written."""
    try:
        return importlib.metadata.version(service)
    except importlib.metadata.PackageNotFoundError:
        pass
    for contract in contracts:
        module = sys.modules.get(contract.model.__module__)
        source = getattr(module, "__file__", None)
        found = _project_version(Path(source)) if source else None
        if found is not None:
            return found
    return "0.0.0"


def _project_version(source: Path) -> str | None:
    for folder in source.parents:
        project = folder / "pyproject.toml"
        if project.is_file():
            try:
                version = tomllib.loads(project.read_text(encoding="utf-8"))["project"]["version"]
            except (OSError, ValueError, KeyError, TypeError):
                return None
            return str(version)
    return None
