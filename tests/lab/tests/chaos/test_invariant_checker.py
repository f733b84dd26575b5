"""The fault suite's checker finds what it claims to find: a clean snapshot passes, and each
planted violation (a double charge, oversold stock, a stuck saga...) is counted where it belongs.
A checker that always said 0 would make every chaos figure worthless."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from mkservice_lab.chaos.config import ChaosConfig
from mkservice_lab.chaos.invariants import check
from mkservice_lab.chaos.scenario import PlannedOrder, Product, Scenario, plan

SCENARIO = Scenario(
    seed=1,
    products=[Product("sku-a", 1_000, 10)],
    orders=[
        PlannedOrder(0, "ok", (("sku-a", 2),), "tok_ok"),
        PlannedOrder(1, "decline", (("sku-a", 1),), "tok_decline"),
    ],
)
ACCEPTED = {0: "o-ok", 1: "o-declined"}


def clean() -> dict[str, Any]:
    """Order 0 confirmed (2 sold, charged 2000), order 1 declined (released, nothing taken)."""
    steps = [
        ("reserve stock", "started"), ("reserve stock", "succeeded"),
        ("charge payment", "started"), ("charge payment", "succeeded"), ("order", "confirmed"),
        ("commit stock", "started"), ("commit stock", "succeeded"),
    ]  # fmt: skip
    return {
        "orders": {
            "orders": [
                {"id": "o-ok", "status": "CONFIRMED", "total_cents": 2_000},
                {"id": "o-declined", "status": "REJECTED", "total_cents": 1_000},
            ],
            "sagas": [
                {"order_id": "o-ok", "state": "CONFIRMED", "deadline_at": None},
                {"order_id": "o-declined", "state": "REJECTED", "deadline_at": None},
            ],
            "steps": [{"order_id": "o-ok", "step": s, "outcome": o} for s, o in steps],
            "undelivered": [],
        },
        "inventory": {
            "products": [{"sku": "sku-a", "available": 8, "reserved": 0, "sold": 2}],
            "reservations": [
                {"order_id": "o-ok", "status": "COMMITTED"},
                {"order_id": "o-declined", "status": "RELEASED"},
            ],
            "lines": [
                {"order_id": "o-ok", "sku": "sku-a", "quantity": 2},
                {"order_id": "o-declined", "sku": "sku-a", "quantity": 1},
            ],
            "undelivered": [],
        },
        "payments": {
            "payments": [
                {
                    "order_id": "o-ok",
                    "status": "CHARGED",
                    "amount_cents": 2_000,
                    "refunded_cents": 0,
                },
                {
                    "order_id": "o-declined",
                    "status": "DECLINED",
                    "amount_cents": 1_000,
                    "refunded_cents": 0,
                },
            ],  # fmt: skip
            "undelivered": [],
        },
    }


def verdict_of(snap: dict[str, Any], **extra: Any) -> dict[str, int]:
    options = {"not_terminal_at_deadline": [], "dead_letters": {}, **extra}
    return check(snap, SCENARIO, ACCEPTED, **options).summary()


def test_passes_a_clean_snapshot() -> None:
    assert verdict_of(clean()) == {
        "lost": 0, "stuck": 0, "duplicate_effects": 0, "oversold": 0, "invariant_violations": 0,
    }  # fmt: skip


def planted(change: str) -> dict[str, Any]:
    snap = copy.deepcopy(clean())
    payments = snap["payments"]["payments"]
    product = snap["inventory"]["products"][0]
    if change == "double charge":
        payments.append(dict(payments[0]))
    elif change == "charge of a rejected order":
        payments[1].update(status="CHARGED")
    elif change == "oversold":
        product.update(available=-1, sold=11)
    elif change == "stock sold twice":
        product.update(available=6, sold=4)
    elif change == "stuck saga":
        snap["orders"]["sagas"][0].update(state="COMMITTING_STOCK", deadline_at="soon")
    elif change == "duplicated step":
        snap["orders"]["steps"].append(
            {"order_id": "o-ok", "step": "charge payment", "outcome": "succeeded"}
        )
    elif change == "undelivered outbox row":
        snap["orders"]["undelivered"].append({"message_type": "orders.x", "n": 1})
    elif change == "lost order":
        snap["orders"]["orders"].pop(1)
    return snap


@pytest.mark.parametrize(
    ("change", "figure"),
    [
        ("double charge", "duplicate_effects"),
        ("charge of a rejected order", "invariant_violations"),
        ("oversold", "oversold"),
        ("stock sold twice", "duplicate_effects"),
        ("stuck saga", "stuck"),
        ("duplicated step", "duplicate_effects"),
        ("undelivered outbox row", "lost"),
        ("lost order", "lost"),
    ],
)
def test_counts_a_planted_violation(change: str, figure: str) -> None:
    verdict = verdict_of(planted(change))
    assert verdict[figure] >= 1, verdict
    assert verdict["invariant_violations"] >= verdict[figure]


def test_counts_orders_unfinished_at_the_deadline_and_dead_letters() -> None:
    verdict = verdict_of(clean(), not_terminal_at_deadline=["o-ok"], dead_letters={"ORDERS": 2})
    assert verdict["stuck"] == 1
    assert verdict["lost"] == 2


def test_plans_the_same_run_from_the_same_seed() -> None:
    points = {"orders": ["a", "b"], "inventory": ["a"], "payments": ["a"]}
    first, again = plan(ChaosConfig.ci(), points), plan(ChaosConfig.ci(), points)
    assert first.orders == again.orders and first.episodes == again.episodes
    assert plan(ChaosConfig.ci(seed=2), points).orders != first.orders
    assert len(first.episodes) == 32 and len(first.orders) == 500
    crashes = {(e.target, e.point) for e in first.episodes if e.kind == "crash"}
    assert crashes >= {("orders", "a"), ("orders", "b"), ("inventory", "a"), ("payments", "a")}
    assert max(e.duration_s for e in first.episodes if e.kind == "nats-outage") == 20.0
