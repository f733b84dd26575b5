"""The payments contracts are exactly those of docs/checkout-contracts.md, and each domain
event travels as its contract's payload (``messaging/outgoing.py``)."""

import pytest
from pydantic import ValidationError

from payments.domain import Charged, Declined, Refunded
from payments.messaging import contracts
from payments.messaging.outgoing import message_for


def test_subjects_types_and_versions_follow_the_contracts_document() -> None:
    table = {
        (c.subject, c.type, c.version)
        for c in (
            contracts.CHARGE,
            contracts.REFUND,
            contracts.CHARGED,
            contracts.DECLINED,
            contracts.REFUNDED,
        )
    }
    assert table == {
        ("payments.cmd.charge", "payments.charge", 1),
        ("payments.cmd.refund", "payments.refund", 1),
        ("payments.evt.charged", "payments.charged", 1),
        ("payments.evt.declined", "payments.declined", 1),
        ("payments.evt.refunded", "payments.refunded", 1),
    }


@pytest.mark.parametrize(
    ("event", "subject", "data"),
    [
        (
            Charged("o-1", "p-1", 500),
            "payments.evt.charged",
            {"order_id": "o-1", "payment_id": "p-1", "amount_cents": 500},
        ),
        (
            Declined("o-1", "card declined"),
            "payments.evt.declined",
            {"order_id": "o-1", "reason": "card declined"},
        ),
        (
            Refunded("o-1", "p-1", 0),
            "payments.evt.refunded",
            {"order_id": "o-1", "payment_id": "p-1", "amount_cents": 0},
        ),
    ],
)
def test_each_event_is_sent_as_its_contracts_payload(
    event: Charged | Declined | Refunded, subject: str, data: dict[str, object]
) -> None:
    contract, payload = message_for(event)
    assert contract.subject == subject
    assert payload.model_dump(mode="json") == data


def test_an_event_no_contract_carries_is_refused() -> None:
    with pytest.raises(TypeError, match="no contract"):
        message_for(object())  # type: ignore[arg-type]


def test_a_charge_of_a_negative_amount_is_malformed() -> None:
    with pytest.raises(ValidationError, match="amount_cents"):
        contracts.ChargeV1(order_id="o-1", amount_cents=-1, payment_token="tok_visa")
