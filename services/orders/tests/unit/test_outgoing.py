"""``message_for``: every saga command and outcome becomes the message of its contract."""

import pytest

from orders.domain import (
    ChargePayment,
    CommitStock,
    OrderConfirmed,
    OrderLine,
    OrderRejected,
    RefundPayment,
    ReleaseStock,
    ReserveStock,
)
from orders.messaging.outgoing import message_for


@pytest.mark.parametrize(
    ("event", "subject", "data"),
    [
        (
            ReserveStock("o-1", (OrderLine("sku-lamp", 2),)),
            "inventory.cmd.reserve-stock",
            {"order_id": "o-1", "lines": [{"sku": "sku-lamp", "quantity": 2}]},
        ),
        (CommitStock("o-1"), "inventory.cmd.commit-stock", {"order_id": "o-1"}),
        (
            ReleaseStock("o-1", "why"),
            "inventory.cmd.release-stock",
            {"order_id": "o-1", "reason": "why"},
        ),
        (
            ChargePayment("o-1", 2500, "tok_ok"),
            "payments.cmd.charge",
            {"order_id": "o-1", "amount_cents": 2500, "payment_token": "tok_ok"},
        ),
        (RefundPayment("o-1", "why"), "payments.cmd.refund", {"order_id": "o-1", "reason": "why"}),
        (
            OrderConfirmed("o-1", 2500),
            "orders.evt.order-confirmed",
            {"order_id": "o-1", "total_cents": 2500},
        ),
        (
            OrderRejected("o-1", "out of stock"),
            "orders.evt.order-rejected",
            {"order_id": "o-1", "reason": "out of stock"},
        ),
    ],
)
def test_each_command_and_outcome_has_its_message(
    event: object, subject: str, data: dict[str, object]
) -> None:
    contract, payload = message_for(event)  # type: ignore[arg-type]
    assert contract.subject == subject
    assert payload.model_dump(mode="json") == data


def test_something_without_a_message_is_refused() -> None:
    with pytest.raises(TypeError, match="no contract carries"):
        message_for(object())  # type: ignore[arg-type]
