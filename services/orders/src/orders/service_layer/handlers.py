"""Placing orders. Creating the order, its saga, its first step and the first command is ONE
transaction: either all of it happens or none of it."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime

from orders.domain import Order, PlaceOrder
from orders.service_layer.saga_runner import record_decision
from orders.service_layer.unit_of_work import OrdersUnitOfWork


class IdempotencyKeyReused(Exception):
    """The key was used before for a different request."""


def fingerprint(command: PlaceOrder) -> str:
    """A stable hash of what was asked, to tell a retry from a different request."""
    canonical = {
        "customer_id": command.customer_id,
        "lines": sorted((line.sku, line.quantity) for line in command.lines),
        "payment_token": command.payment_token,
    }
    return hashlib.sha256(json.dumps(canonical, sort_keys=True).encode()).hexdigest()


async def place_order(
    command: PlaceOrder, uow: OrdersUnitOfWork, *, now: datetime
) -> tuple[Order, bool]:
    """Accept an order and start its checkout. Returns (order, created).

    With an idempotency key seen before, returns that order unchanged (created is False); a
    different request under the same key raises :class:`IdempotencyKeyReused`.
    """
    request_fingerprint = fingerprint(command)
    if command.idempotency_key is not None:
        existing = await uow.orders.find_by_idempotency_key(command.idempotency_key)
        if existing is not None:
            order_id, recorded = existing
            if recorded != request_fingerprint:
                raise IdempotencyKeyReused(command.idempotency_key)
            order = await uow.orders.get(order_id)
            assert order is not None
            return order, False

    order = Order.place(command.customer_id, command.lines, command.payment_token, now=now)
    await uow.orders.add(
        order,
        idempotency_key=command.idempotency_key,
        fingerprint=request_fingerprint,
        trace_id=command.trace_id,
    )
    saga = uow.orders.new_saga(order)
    decision = saga.start(now)
    await record_decision(saga, decision, uow, now=now, new_saga=True)
    order.timeline = decision.timeline
    return order, True
