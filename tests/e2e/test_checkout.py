"""The reference checkout end to end: orders, inventory and payments as real processes with a
real nats-server (SQLite, or PostgreSQL in Postgres mode), driven only through their HTTP APIs."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from mkservice_lab.client import CheckoutClient


def net_charge(payment: dict[str, Any] | None) -> int:
    """What the customer paid in the end (charged minus refunded), 0 without a payment."""
    if payment is None or payment["status"] in {"DECLINED", "CANCELLED", "PENDING"}:
        return 0
    return int(payment["amount_cents"]) - int(payment["refunded_cents"])


async def test_each_outcome_of_the_checkout(
    checkout: CheckoutClient, unique: Callable[[str], str]
) -> None:
    sku = unique("sku")
    await checkout.create_product(sku, 10, price_cents=2_500)
    line = [{"sku": sku, "quantity": 2}]
    placed = {
        "confirmed": await checkout.place_order(line, "tok_ok"),
        "out of stock": await checkout.place_order([{"sku": sku, "quantity": 1_000}], "tok_ok"),
        "declined": await checkout.place_order(line, "tok_decline"),
        "timed out": await checkout.place_order(line, "tok_slow"),
    }
    assert {order["status"] for order in placed.values()} == {"PENDING"}
    done = await checkout.wait_terminal([o["id"] for o in placed.values()], timeout=90)
    outcome = {name: done[order["id"]] for name, order in placed.items()}

    assert outcome["confirmed"]["status"] == "CONFIRMED"
    assert outcome["confirmed"]["total_cents"] == 5_000
    assert outcome["out of stock"]["status"] == "REJECTED"
    assert outcome["out of stock"]["reason"] == "out of stock"
    assert outcome["declined"]["status"] == "REJECTED"
    assert outcome["declined"]["reason"].startswith("payment declined")
    assert outcome["timed out"]["status"] == "REJECTED"
    assert outcome["timed out"]["reason"] == "timed out waiting for payment"

    product = await checkout.product(sku)
    assert (product["available"], product["reserved"], product["sold"]) == (8, 0, 2)
    assert net_charge(await checkout.payment(outcome["confirmed"]["id"])) == 5_000
    for name in ("out of stock", "declined", "timed out"):
        assert net_charge(await checkout.payment(outcome[name]["id"])) == 0, name

    # The slow payment answers after the saga gave up: it must never end up charged.
    await asyncio.sleep(6)
    assert net_charge(await checkout.payment(outcome["timed out"]["id"])) == 0


async def test_the_same_idempotency_key_places_one_order(
    checkout: CheckoutClient, unique: Callable[[str], str]
) -> None:
    sku = unique("sku")
    await checkout.create_product(sku, 5)
    key = unique("key")
    first, second = await asyncio.gather(
        checkout.place_order([{"sku": sku, "quantity": 1}], "tok_ok", idempotency_key=key),
        checkout.place_order([{"sku": sku, "quantity": 1}], "tok_ok", idempotency_key=key),
    )
    assert first["id"] == second["id"]
    await checkout.wait_terminal([first["id"]])
    assert (await checkout.product(sku))["sold"] == 1


async def test_twenty_concurrent_orders_for_the_last_five_units(
    checkout: CheckoutClient, unique: Callable[[str], str]
) -> None:
    sku = unique("sku")
    await checkout.create_product(sku, 5, price_cents=1_000)
    placed = await asyncio.gather(
        *(checkout.place_order([{"sku": sku, "quantity": 1}], "tok_ok", customer_id=f"c-{n}")
          for n in range(20))
    )  # fmt: skip
    done = await checkout.wait_terminal([order["id"] for order in placed], timeout=120)

    confirmed = [o for o in done.values() if o["status"] == "CONFIRMED"]
    rejected = [o for o in done.values() if o["status"] == "REJECTED"]
    assert (len(confirmed), len(rejected)) == (5, 15)
    product = await checkout.product(sku)
    assert (product["available"], product["reserved"], product["sold"]) == (0, 0, 5)
    for order in rejected:
        assert net_charge(await checkout.payment(order["id"])) == 0
    for order in confirmed:
        assert net_charge(await checkout.payment(order["id"])) == 1_000
