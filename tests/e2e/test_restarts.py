"""Restarts in the middle of a saga: the saga continues from its stored state and finishes.

This module's stack gives each saga step a long deadline, so a restart (several seconds on a
loaded machine) is never mistaken for a participant that does not answer.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from e2e.test_checkout import net_charge

from mkservice.stack import Supervisor
from mkservice_lab.client import CheckoutClient


@pytest.fixture(scope="module")
def stack_options() -> dict[str, Any]:
    return {"env": {"ORDERS_SAGA_STEP_TIMEOUT_S": "60"}}


async def test_a_saga_finishes_when_a_service_restarts_in_the_middle(
    stack: Supervisor, checkout: CheckoutClient, unique: Callable[[str], str]
) -> None:
    sku = unique("sku")
    await checkout.create_product(sku, 3)
    stack.stop_service("payments")
    order = await checkout.place_order([{"sku": sku, "quantity": 1}], "tok_ok")

    async def waiting_for_payment() -> bool:
        steps = [
            (e["step"], e["outcome"]) for e in (await checkout.get_order(order["id"]))["timeline"]
        ]
        return ("charge payment", "started") in steps

    for _ in range(200):
        if await waiting_for_payment():
            break
        await asyncio.sleep(0.05)
    stack.start_service("payments")  # back before the step's deadline: the saga goes on
    done = (await checkout.wait_terminal([order["id"]], timeout=60))[order["id"]]
    assert done["status"] == "CONFIRMED", done
    assert net_charge(await checkout.payment(order["id"])) == 1_000


async def test_orders_restarted_mid_saga_picks_up_where_it_was(
    stack: Supervisor, checkout: CheckoutClient, unique: Callable[[str], str]
) -> None:
    sku = unique("sku")
    await checkout.create_product(sku, 3)
    order = await checkout.place_order([{"sku": sku, "quantity": 1}], "tok_ok")
    stack.kill_service("orders")  # kill -9, whatever step it was at
    stack.start_service("orders")
    done = (await checkout.wait_terminal([order["id"]], timeout=60))[order["id"]]
    assert done["status"] == "CONFIRMED", done
    product = await checkout.product(sku)
    assert (product["available"], product["reserved"], product["sold"]) == (2, 0, 1)
    assert net_charge(await checkout.payment(order["id"])) == 1_000
