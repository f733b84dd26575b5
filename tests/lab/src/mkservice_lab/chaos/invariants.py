"""The promises the checkout keeps, checked over every service's own database after a run.

Each check names a kind of violation; each kind counts toward one headline figure (lost, stuck,
duplicate_effects, oversold) or only toward the total (``invariant_violations``, which counts
every violation of every kind).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from mkservice_lab.chaos.scenario import Scenario

Snapshot = dict[str, dict[str, list[dict[str, Any]]]]
TERMINAL = {"CONFIRMED", "REJECTED"}
# Timeline entries a saga writes at most once: each step starts once, each forward step
# succeeds once, the order ends once. (A retried compensation may record each retry's late
# answer; its effect is checked in the participants' databases instead.)
FORWARD_STEPS = {"reserve stock", "charge payment", "commit stock"}


def _once_only(step: str, outcome: str) -> bool:
    return (
        outcome == "started"
        or step == "order"
        or (step in FORWARD_STEPS and outcome in {"succeeded", "failed", "timed out"})
    )


HEADLINE = {
    "order_missing": "lost", "order_never_accepted": "lost", "confirmed_without_charge": "lost",
    "confirmed_without_committed_stock": "lost", "stranded_reservation": "lost",
    "undelivered_outbox_row": "lost", "dead_lettered_message": "lost",
    "not_terminal": "stuck", "saga_unfinished": "stuck",
    "two_reservations_for_one_order": "duplicate_effects",
    "two_payments_for_one_order": "duplicate_effects",
    "duplicated_saga_step": "duplicate_effects", "stock_moved_twice": "duplicate_effects",
    "refund_above_charge": "duplicate_effects",
    "oversold": "oversold",
}  # fmt: skip


@dataclass
class Verdict:
    violations: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))

    def add(self, kind: str, detail: str) -> None:
        self.violations[kind].append(detail)

    def count(self, headline: str) -> int:
        return sum(len(v) for kind, v in self.violations.items() if HEADLINE.get(kind) == headline)

    @property
    def total(self) -> int:
        return sum(len(details) for details in self.violations.values())

    def summary(self) -> dict[str, int]:
        figures = {name: self.count(name) for name in ("lost", "stuck", "duplicate_effects")}
        figures["oversold"] = self.count("oversold")
        figures["invariant_violations"] = self.total
        return figures

    def examples(self, limit: int = 20) -> dict[str, dict[str, Any]]:
        return {
            kind: {"count": len(details), "examples": details[:limit]}
            for kind, details in sorted(self.violations.items())
        }


def check(
    snap: Snapshot,
    scenario: Scenario,
    accepted: dict[int, str],
    *,
    not_terminal_at_deadline: list[str],
    dead_letters: dict[str, int],
) -> Verdict:
    verdict = Verdict()
    orders = {row["id"]: row for row in snap["orders"]["orders"]}
    _check_orders(verdict, snap, scenario, accepted, orders)
    for order_id in not_terminal_at_deadline:
        verdict.add("not_terminal", f"order {order_id} unfinished 60s after the last fault")
    _check_stock(verdict, snap, scenario, orders)
    _check_payments(verdict, snap, orders)
    for service, tables in snap.items():
        for row in tables["undelivered"]:
            for _ in range(int(row["n"])):
                verdict.add("undelivered_outbox_row", f"{service}: {row['message_type']}")
    for stream, parked in dead_letters.items():
        for _ in range(parked):
            verdict.add("dead_lettered_message", f"a message parked on {stream.lower()}.dlq")
    return verdict


def _check_orders(
    verdict: Verdict, snap: Snapshot, scenario: Scenario, accepted: dict[int, str],
    orders: dict[str, dict[str, Any]],
) -> None:  # fmt: skip
    planned = {order.index: order for order in scenario.orders}
    for index in sorted(set(planned) - set(accepted)):
        verdict.add("order_never_accepted", f"planned order {index}")
    for index, order_id in accepted.items():
        row = orders.get(order_id)
        if row is None:
            verdict.add("order_missing", f"order {order_id} was accepted but is not stored")
        elif row["status"] == "CONFIRMED" and planned[index].outcome in {"decline", "out_of_stock"}:
            verdict.add(
                "impossible_outcome", f"{planned[index].outcome} order {order_id} confirmed"
            )
    sagas = {row["order_id"]: row for row in snap["orders"]["sagas"]}
    for order_id, row in orders.items():
        saga = sagas.get(order_id)
        if saga is None or saga["state"] not in TERMINAL or saga["deadline_at"] is not None:
            verdict.add("saga_unfinished", f"order {order_id}: saga {saga and saga['state']}")
        elif saga["state"] != row["status"]:
            verdict.add(
                "status_mismatch", f"order {order_id} {row['status']}, saga {saga['state']}"
            )
    steps = Counter(
        (s["order_id"], s["step"], s["outcome"])
        for s in snap["orders"]["steps"]
        if _once_only(s["step"], s["outcome"])
    )
    for (order_id, step, outcome), times in steps.items():
        if times > 1:
            verdict.add("duplicated_saga_step", f"order {order_id}: '{step} {outcome}' x{times}")


def _check_stock(
    verdict: Verdict, snap: Snapshot, scenario: Scenario, orders: dict[str, dict[str, Any]]
) -> None:
    initial = {product.sku: product.stock for product in scenario.products}
    reservations = Counter(row["order_id"] for row in snap["inventory"]["reservations"])
    status_of = {row["order_id"]: row["status"] for row in snap["inventory"]["reservations"]}
    for order_id, times in reservations.items():
        if times > 1:
            verdict.add("two_reservations_for_one_order", f"order {order_id} x{times}")
    held: Counter[str] = Counter()
    sold: Counter[str] = Counter()
    for line in snap["inventory"]["lines"]:
        status = status_of.get(line["order_id"])
        if status == "RESERVED":
            held[line["sku"]] += line["quantity"]
        elif status == "COMMITTED":
            sold[line["sku"]] += line["quantity"]
    for product in snap["inventory"]["products"]:
        sku = product["sku"]
        if sku not in initial:
            continue
        total = product["available"] + product["reserved"] + product["sold"]
        if total != initial[sku] or min(product["available"], product["reserved"]) < 0:
            verdict.add("stock_not_conserved", f"{sku}: initial {initial[sku]}, now {product}")
        if product["available"] < 0 or product["reserved"] + product["sold"] > initial[sku]:
            verdict.add("oversold", f"{sku}: initial {initial[sku]}, now {product}")
        if product["sold"] > sold[sku] or product["reserved"] > held[sku]:
            verdict.add("stock_moved_twice", f"{sku}: {product}, reservations say sold "
                        f"{sold[sku]} held {held[sku]}")  # fmt: skip
        elif product["sold"] != sold[sku] or product["reserved"] != held[sku]:
            verdict.add("stock_ledger_mismatch", f"{sku}: {product}, sold {sold[sku]}")
    for order_id, status in status_of.items():
        order = orders.get(order_id)
        if status == "RESERVED":
            verdict.add("stranded_reservation", f"order {order_id} still holds stock")
        elif status == "COMMITTED" and (order is None or order["status"] != "CONFIRMED"):
            verdict.add("stock_sold_without_confirmed_order", f"order {order_id}")
    for order_id, order in orders.items():
        if order["status"] == "CONFIRMED" and status_of.get(order_id) != "COMMITTED":
            verdict.add("confirmed_without_committed_stock", f"order {order_id}")


def _check_payments(verdict: Verdict, snap: Snapshot, orders: dict[str, dict[str, Any]]) -> None:
    payments = snap["payments"]["payments"]
    for order_id, times in Counter(p["order_id"] for p in payments).items():
        if times > 1:
            verdict.add("two_payments_for_one_order", f"order {order_id} x{times}")
    by_order = {p["order_id"]: p for p in payments}
    for payment in payments:
        order = orders.get(payment["order_id"])
        taken = payment["amount_cents"] if payment["status"] in {"CHARGED", "REFUNDED"} else 0
        net = taken - payment["refunded_cents"]
        if net < 0:
            verdict.add("refund_above_charge", f"order {payment['order_id']}: {payment}")
        status = order["status"] if order else None
        if net > 0 and status != "CONFIRMED":
            verdict.add("charge_without_confirmed_order", f"order {payment['order_id']} {status}")
        if status == "REJECTED" and net != 0:
            verdict.add("rejected_with_net_charge", f"order {payment['order_id']}: {payment}")
    for order_id, order in orders.items():
        if order["status"] != "CONFIRMED":
            continue
        charge = by_order.get(order_id)
        if charge is None or charge["status"] != "CHARGED":
            verdict.add("confirmed_without_charge", f"order {order_id}: {charge}")
        elif charge["amount_cents"] != order["total_cents"]:
            verdict.add("charge_differs_from_total", f"order {order_id}: {charge}")
