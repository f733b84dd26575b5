"""Charge commands over a real nats-server and database: each is answered on the PAYMENTS
stream, addressed to the command, and an order is never charged twice."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import httpx
import pytest

from payments.config import PaymentsSettings

if TYPE_CHECKING:
    from tests.conftest import Saga


async def _payment(client: httpx.AsyncClient, order_id: str) -> dict[str, object]:
    response = await client.get(f"/payments/{order_id}")
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


async def test_charges_an_order_and_answers_charged_to_the_command(
    saga: Saga, client: httpx.AsyncClient
) -> None:
    order_id = "order-1"
    command = await saga.charge(order_id, 2_500)

    [reply] = await saga.wait_for(order_id)
    assert reply.type == "payments.charged"
    assert reply.source == "payments"
    assert reply.correlation_id == order_id
    assert reply.causation_id == command.id
    payment = await _payment(client, order_id)
    assert reply.data == {
        "order_id": order_id,
        "payment_id": payment["payment_id"],
        "amount_cents": 2_500,
    }
    assert payment["status"] == "CHARGED"


async def test_a_duplicate_charge_charges_once_and_answers_the_same_payment(
    saga: Saga, client: httpx.AsyncClient
) -> None:
    order_id = "order-1"
    first = await saga.charge(order_id, 2_500)
    second = await saga.charge(order_id, 2_500)  # the same order, another message id

    replies = await saga.wait_for(order_id, count=2)
    assert [reply.type for reply in replies] == ["payments.charged"] * 2
    assert [reply.causation_id for reply in replies] == [first.id, second.id]
    assert replies[0].data == replies[1].data
    listed = (await client.get("/payments")).json()
    assert [payment["order_id"] for payment in listed] == [order_id]


@pytest.mark.parametrize(
    ("token", "amount_cents", "reason"),
    [("tok_decline", 2_500, "card declined"), ("tok_visa", 100_001, "amount over limit")],
)
async def test_declines_by_the_gateway_rules(
    saga: Saga,
    client: httpx.AsyncClient,
    token: str,
    amount_cents: int,
    reason: str,
) -> None:
    order_id = "order-1"
    command = await saga.charge(order_id, amount_cents, token)

    [reply] = await saga.wait_for(order_id)
    assert reply.type == "payments.declined"
    assert reply.causation_id == command.id
    assert reply.data == {"order_id": order_id, "reason": reason}
    payment = await _payment(client, order_id)
    assert (payment["status"], payment["reason"]) == ("DECLINED", reason)


async def test_the_slow_token_stays_pending_then_settles_and_answers_once(
    saga: Saga, client: httpx.AsyncClient, migrated: PaymentsSettings
) -> None:
    order_id = "order-1"
    command = await saga.charge(order_id, 4_200, "tok_slow")
    await saga.charge(order_id, 4_200, "tok_slow")  # a repeat while pending: no answer
    await saga.barrier()

    assert saga.replies(order_id) == []
    assert (await _payment(client, order_id))["status"] == "PENDING"

    [reply] = await saga.wait_for(order_id)
    assert reply.type == "payments.charged"
    assert reply.causation_id == command.id  # the settlement answers the charge that began it
    assert reply.data["amount_cents"] == 4_200
    assert (await _payment(client, order_id))["status"] == "CHARGED"
    await asyncio.sleep(5 * migrated.settle_poll_interval_s)
    assert len(saga.replies(order_id)) == 1


async def test_the_slow_token_does_not_hold_up_the_commands_behind_it(
    saga: Saga,
) -> None:
    slow, fast = "order-slow", "order-fast"
    await saga.charge(slow, 100, "tok_slow")
    await saga.charge(fast, 100)

    await saga.wait_for(fast)
    assert saga.replies(slow) == []  # answered before the slow one settles
