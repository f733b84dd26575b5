"""The harness's own promise: the ``checkout`` fixture places an order on the shared stack and
waits until its saga has finished. (The checkout's behaviour is tested in its own modules.)"""

from __future__ import annotations

from collections.abc import Callable

from mkservice_lab.client import CheckoutClient


async def test_places_an_order_and_returns_it_once_its_saga_has_finished(
    checkout: CheckoutClient, unique: Callable[[str], str]
) -> None:
    sku = unique("sku")
    await checkout.create_product(sku, 2, price_cents=1_500)

    order = await checkout.place_and_wait([{"sku": sku, "quantity": 2}], "tok_ok", timeout=60)

    assert order["status"] == "CONFIRMED", order
    assert order["timeline"], order
    product = await checkout.product(sku)
    assert (product["available"], product["sold"]) == (0, 2)
    payment = await checkout.payment(order["id"])
    assert payment is not None and payment["amount_cents"] == 3_000
