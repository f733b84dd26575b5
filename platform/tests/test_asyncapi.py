"""A service's AsyncAPI document (chassis.asyncapi, ADR 0027): each message in the direction the
service uses it, on its subject, with the payload as that side sees it, and an envelope the
chassis really sends validating against the document's schema."""

from __future__ import annotations

import importlib.util
import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
from chassis import Contract, Envelope
from chassis.asyncapi import asyncapi_document, contracts_in, direction, message_id
from pydantic import BaseModel


class ParcelLineV1(BaseModel):
    sku: str
    quantity: int


class ParcelSentV1(BaseModel):
    """A parcel left the warehouse."""

    parcel_id: str
    sent_at: datetime
    lines: list[ParcelLineV1]
    note: str = ""  # a default: always written, never needed


class SendParcelV1(BaseModel):
    parcel_id: str
    priority: bool = False


class OrderConfirmedV1(BaseModel):  # a copy of orders' contract
    order_id: str


class ChargePaymentV1(BaseModel):  # a copy of payments' command
    order_id: str
    amount_cents: int


PARCEL_SENT = Contract("shipping.evt.parcel-sent", "shipping.parcel-sent", ParcelSentV1)
PARCEL_SENT_V2 = Contract("shipping.evt.parcel-sent", "shipping.parcel-sent", ParcelSentV1, 2)
SEND_PARCEL = Contract("shipping.cmd.send-parcel", "shipping.send-parcel", SendParcelV1)
ORDER_CONFIRMED = Contract("orders.evt.order-confirmed", "orders.order-confirmed", OrderConfirmedV1)
CHARGE = Contract("payments.cmd.charge-payment", "payments.charge-payment", ChargePaymentV1)
ALL = [PARCEL_SENT, PARCEL_SENT_V2, SEND_PARCEL, ORDER_CONFIRMED, CHARGE]


def _operation(document: dict[str, Any], contract: Contract[Any]) -> tuple[str, dict[str, Any]]:
    (found,) = [
        (name, operation)
        for name, operation in document["operations"].items()
        if name.endswith(message_id(contract))
    ]
    return found


def _data_schema(document: dict[str, Any], contract: Contract[Any]) -> dict[str, Any]:
    message = document["components"]["messages"][message_id(contract)]
    ref = message["payload"]["properties"]["data"]["$ref"]
    return document["components"]["schemas"][ref.rsplit("/", 1)[-1]]


def test_each_message_is_sent_or_received_as_its_subject_says() -> None:
    document = asyncapi_document("shipping", ALL)

    assert {contract.type: direction("shipping", contract) for contract in ALL} == {
        "shipping.parcel-sent": "send",  # its own event
        "shipping.send-parcel": "receive",  # its own command
        "orders.order-confirmed": "receive",  # another's event it reads
        "payments.charge-payment": "send",  # another's command it sends
    }
    for contract in ALL:
        name, operation = _operation(document, contract)
        assert name == f"{direction('shipping', contract)}-{message_id(contract)}"
        channel = document["channels"][operation["channel"]["$ref"].rsplit("/", 1)[-1]]
        assert channel["address"] == contract.subject
        assert channel["x-owner"] == contract.owner


def test_two_versions_of_a_type_are_two_messages_on_one_channel() -> None:
    document = asyncapi_document("shipping", ALL)

    channel = document["channels"]["shipping-evt-parcel-sent"]
    assert sorted(channel["messages"]) == ["shipping-parcel-sent-v1", "shipping-parcel-sent-v2"]
    messages = document["components"]["messages"]
    assert [messages[key]["x-version"] for key in sorted(channel["messages"])] == [1, 2]


def test_what_it_sends_guarantees_defaults_and_what_it_receives_does_not_need_them() -> None:
    document = asyncapi_document("shipping", ALL)

    sent = _data_schema(document, PARCEL_SENT)
    received = _data_schema(document, SEND_PARCEL)
    assert set(sent["required"]) == {"parcel_id", "sent_at", "lines", "note"}
    assert set(received["required"]) == {"parcel_id"}
    assert "priority" in received["properties"]


def test_the_document_does_not_depend_on_the_order_of_the_contracts() -> None:
    forwards = asyncapi_document("shipping", ALL)
    backwards = asyncapi_document("shipping", list(reversed(ALL)))

    assert json.dumps(forwards) == json.dumps(backwards)
    assert forwards["asyncapi"] == "3.0.0"


def _validator(document: dict[str, Any], schema: dict[str, Any]) -> Any:
    # The payload schema points into components.schemas: validate it inside the document.
    return jsonschema_rs.validator_for({**schema, "components": document["components"]})


def test_an_envelope_the_chassis_sends_matches_the_document() -> None:
    document = asyncapi_document("shipping", ALL)
    message = document["components"]["messages"][message_id(PARCEL_SENT)]
    payload = ParcelSentV1(
        parcel_id="p-1",
        sent_at=datetime(2026, 1, 1, 12, 0),
        lines=[ParcelLineV1(sku="sku-1", quantity=2)],
    )
    envelope = Envelope(
        type=PARCEL_SENT.type,
        source="shipping",
        correlation_id="c-1",
        causation_id="m-0",
        schema_version=PARCEL_SENT.version,
        data=payload.model_dump(mode="json"),
    )

    body = json.loads(envelope.body())
    assert _validator(document, message["payload"]).is_valid(body)
    assert _validator(document, message["headers"]).is_valid(envelope.headers())


def test_an_envelope_of_another_type_version_or_shape_does_not() -> None:
    document = asyncapi_document("shipping", ALL)
    message = document["components"]["messages"][message_id(PARCEL_SENT)]
    validator = _validator(document, message["payload"])
    good = json.loads(
        Envelope(
            type=PARCEL_SENT.type,
            source="shipping",
            correlation_id="c-1",
            schema_version=1,
            data={"parcel_id": "p-1", "sent_at": "2026-01-01T12:00:00Z", "lines": [], "note": ""},
        ).body()
    )
    assert validator.is_valid(good)

    assert not validator.is_valid({**good, "type": "shipping.parcel-lost"})
    assert not validator.is_valid({**good, "schema_version": 2})
    assert not validator.is_valid({**good, "data": {"parcel_id": "p-1"}})
    assert not validator.is_valid(
        {**good, "data": {**good["data"], "lines": [{"sku": "sku-1", "quantity": "two"}]}}
    )


def test_a_service_run_from_its_source_folder_has_its_projects_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Not installed (as `mkservice new --no-install` leaves a service): the version is its
    # pyproject.toml's, as it will be its distribution's once installed.
    project = tmp_path / "zz-source-only"
    source = project / "src" / "zz_source_only" / "contracts.py"
    source.parent.mkdir(parents=True)
    (project / "pyproject.toml").write_text(
        '[project]\nname = "zz-source-only"\nversion = "3.4.5"\n'
    )
    source.write_text(
        "from pydantic import BaseModel\n\n"
        "from chassis import Contract\n\n\n"
        "class ThingDoneV1(BaseModel):\n    thing_id: str\n\n\n"
        'THING_DONE = Contract("zz-source-only.evt.thing-done", "zz-source-only.thing-done", '
        "ThingDoneV1)\n"
    )
    spec = importlib.util.spec_from_file_location("zz_source_only_contracts", source)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)
    spec.loader.exec_module(module)

    document = asyncapi_document("zz-source-only", contracts_in(module))

    assert document["info"]["version"] == "3.4.5"
