"""Refund commands over a real nats-server and database: every refund is answered, a pending
charge is cancelled for good, and a refund before the charge makes the charge decline."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import httpx

from payments.config import PaymentsSettings

if TYPE_CHECKING:
    from tests.conftest import Saga


async def test_refunds_a_charged_payment_and_answers_a_repeat_the_same(
    saga: Saga, client: httpx.AsyncClient
) -> None:
    order_id = "order-1"
    await saga.charge(order_id, 3_000)
    [charged] = await saga.wait_for(order_id)
    refund = await saga.refund(order_id, "payment after timeout")
    await saga.refund(order_id, "payment after timeout")

    replies = await saga.wait_for(order_id, count=3)
    refunded = replies[1:]
    assert [reply.type for reply in refunded] == ["payments.refunded"] * 2
    assert refunded[0].causation_id == refund.id
    assert refunded[0].data == {
        "order_id": order_id,
        "payment_id": charged.data["payment_id"],
        "amount_cents": 3_000,
    }
    assert refunded[1].data == refunded[0].data
    payment = (await client.get(f"/payments/{order_id}")).json()
    assert payment["status"] == "REFUNDED"
    assert (payment["amount_cents"], payment["refunded_cents"]) == (3_000, 3_000)
    assert payment["reason"] == "payment after timeout"


async def test_a_refund_of_a_pending_payment_cancels_it_and_it_never_charges(
    saga: Saga, client: httpx.AsyncClient, migrated: PaymentsSettings
) -> None:
    order_id = "order-1"
    await saga.charge(order_id, 5_000, "tok_slow")
    await saga.barrier()
    refund = await saga.refund(order_id, "payment timed out")

    [reply] = await saga.wait_for(order_id)
    assert reply.type == "payments.refunded"
    assert reply.causation_id == refund.id
    assert reply.data["amount_cents"] == 0

    # Well past the time it would have settled: still cancelled, never charged.
    await asyncio.sleep(migrated.gateway_slow_delay_s + 5 * migrated.settle_poll_interval_s)
    assert [r.type for r in saga.replies(order_id)] == ["payments.refunded"]
    payment = (await client.get(f"/payments/{order_id}")).json()
    assert (payment["status"], payment["refunded_cents"]) == ("CANCELLED", 0)


async def test_a_refund_before_the_charge_makes_the_later_charge_decline(
    saga: Saga, client: httpx.AsyncClient
) -> None:
    order_id = "order-1"
    await saga.refund(order_id, "payment timed out")
    [refunded] = await saga.wait_for(order_id)
    assert refunded.type == "payments.refunded"
    assert refunded.data["amount_cents"] == 0

    charge = await saga.charge(order_id, 2_000)
    replies = await saga.wait_for(order_id, count=2)
    declined = replies[1]
    assert declined.type == "payments.declined"
    assert declined.causation_id == charge.id
    assert declined.data == {"order_id": order_id, "reason": "refunded before charge"}
    payment = (await client.get(f"/payments/{order_id}")).json()
    assert (payment["status"], payment["amount_cents"]) == ("REFUNDED", 0)
