"""The demo's scenario against an in-process fake of the three APIs: what it places, how it
waits, what it prints, and when it fails."""

from __future__ import annotations

import itertools
import json
from typing import Any

import httpx
import pytest
from rich.console import Console

from mkservice_lab.demo import play

URLS = {s: f"http://{s}.test" for s in ("orders", "inventory", "payments")}


class FakeCheckout:
    """Orders finish after two reads: lamp x1 paid with tok_ok is confirmed, all else rejected."""

    def __init__(self, *, confirm_everything: bool = False) -> None:
        self.orders: dict[str, dict[str, Any]] = {}
        self.reads: dict[str, int] = {}
        self.ids = itertools.count(1)
        self.confirm_everything = confirm_everything

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path, host = request.url.path, request.url.host
        if host == "orders.test" and request.method == "POST":
            body = json.loads(request.content)
            order_id = f"order-{next(self.ids):04d}"
            ok = body["payment_token"] == "tok_ok" and body["lines"][0]["quantity"] == 1
            final = "CONFIRMED" if ok or self.confirm_everything else "REJECTED"
            self.orders[order_id] = {
                "id": order_id, "status": "PENDING", "final": final, "timeline": [],
                "created_at": "2030-01-01T00:00:00+00:00",
            }  # fmt: skip
            return httpx.Response(202, json=self.orders[order_id])
        if host == "orders.test":
            order = self.orders[path.rsplit("/", 1)[1]]
            self.reads[order["id"]] = self.reads.get(order["id"], 0) + 1
            if self.reads[order["id"]] >= 2:
                order["status"] = order["final"]
                last = (
                    ("commit stock", "succeeded")
                    if order["final"] == "CONFIRMED"
                    else ("order", "rejected")
                )
                order["timeline"] = [
                    {"step": step, "outcome": outcome, "detail": None,
                     "at": "2030-01-01T00:00:00.25+00:00"}
                    for step, outcome in (("reserve stock", "succeeded"), last)
                ]  # fmt: skip
            return httpx.Response(200, json=order)
        if host == "inventory.test":
            return httpx.Response(200, json=[{"sku": "sku-lamp", "available": 50, "reserved": 0}])
        return httpx.Response(200, json=[{"order_id": "order-0001", "status": "CHARGED"}])


async def test_places_one_order_of_each_outcome_and_prints_their_timelines() -> None:
    fake = FakeCheckout()
    console = Console(record=True, width=120)

    ok = await play(console, URLS, transport=httpx.MockTransport(fake))

    assert ok
    assert [o["final"] for o in fake.orders.values()] == ["CONFIRMED"] + ["REJECTED"] * 3
    text = console.export_text()
    for label in ("confirmed", "out of stock", "payment declined", "payment timed out"):
        assert label in text
    assert "reserve stock" in text and "0.25" in text
    assert "Every order reached its expected outcome." in text
    assert "order-00 confirmed" in text  # payments name the demo order they belong to


async def test_fails_when_an_order_ends_otherwise_than_expected() -> None:
    console = Console(record=True, width=120)

    ok = await play(
        console, URLS, transport=httpx.MockTransport(FakeCheckout(confirm_everything=True))
    )

    assert not ok
    assert "out of stock: expected REJECTED, got CONFIRMED" in console.export_text()


@pytest.mark.parametrize("stock, asked", [(50, 1000), (5000, 5001), (None, 1000)])
def test_the_out_of_stock_order_asks_for_more_than_the_stock(stock: int | None, asked: int) -> None:
    from mkservice_lab.demo import demo_orders

    assert demo_orders(stock)[1].quantity == asked
