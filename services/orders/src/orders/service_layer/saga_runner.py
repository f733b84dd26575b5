"""Runs the checkout saga: feeds it replies and deadlines, persists what it decides.

Every call happens inside one transaction: the saga row, its new timeline steps, the order's
status and the commands it sends (outbox rows) commit together, so a crash at any point leaves
either all of a step or none of it, and the saga continues from its stored state on restart.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import Any

from chassis import Contract
from chassis.faults import crash_point
from pydantic import BaseModel

from orders.domain import CheckoutSaga, Decision, Order
from orders.domain import saga as s
from orders.messaging import contracts as c
from orders.service_layer.unit_of_work import OrdersUnitOfWork

AFTER_STEP_BEFORE_COMMIT = "saga.after_step_before_commit"


async def apply_event(
    order_id: str,
    event: s.SagaEvent,
    uow: OrdersUnitOfWork,
    *,
    now: datetime,
    causation_id: str | None,
) -> Decision:
    """Feed one reply (or a passed deadline) to the saga of ``order_id``."""
    saga = await uow.orders.load_saga(order_id)
    if saga is None:
        return Decision()  # not an order of ours: nothing to do
    decision = saga.handle(event, now)
    if decision.changed:
        await record_decision(saga, decision, uow, now=now, causation_id=causation_id)
    return decision


async def record_decision(
    saga: CheckoutSaga,
    decision: Decision,
    uow: OrdersUnitOfWork,
    *,
    now: datetime,
    causation_id: str | None,
    order: Order | None = None,
    new_saga: bool = False,
) -> None:
    """Persist the saga and its steps, and queue its commands (and outcome event).

    ``order`` is passed when the caller has it at hand (placing an order); otherwise the order
    is read only if a command needs its lines. The messages go to the outbox in one insert.
    """
    await uow.orders.save_saga(saga, decision.steps, now, new=new_saga)
    messages = [await _message(command, saga.order_id, order, uow) for command in decision.commands]
    if any(step.step == "order" for step in decision.steps):
        messages.append(_outcome(saga))
    if messages:
        await uow.send_many(messages, correlation_id=saga.order_id, causation_id=causation_id)
    # Test-only (ORDERS_CRASH_POINTS): die inside the step's transaction, after the new state, its
    # timeline and its commands are written, before they commit: the step must then happen once.
    crash_point(AFTER_STEP_BEFORE_COMMIT)


Message = tuple[Contract[Any], BaseModel]


async def _message(
    command: s.SagaCommand, order_id: str, order: Order | None, uow: OrdersUnitOfWork
) -> Message:
    """The message that carries ``command`` (copied contracts of inventory/payments)."""
    match command:
        case s.ReserveStock():
            if order is None:
                order = await uow.orders.get(order_id, with_timeline=False)
            if order is None:  # a saga without its order: a bug, never a silent drop
                raise ValueError(f"cannot reserve stock for order {order_id}: no such order")
            stock = [c.StockLine(sku=line.sku, quantity=line.quantity) for line in order.lines]
            return c.RESERVE_STOCK, c.ReserveStockV1(order_id=order_id, lines=stock)
        case s.ReleaseStock(reason=reason):
            return c.RELEASE_STOCK, c.ReleaseStockV1(order_id=order_id, reason=reason)
        case s.CommitStock():
            return c.COMMIT_STOCK, c.CommitStockV1(order_id=order_id)
        case s.ChargePayment(amount_cents=amount):
            token = await uow.orders.payment_token(order_id)
            return c.CHARGE, c.ChargeV1(order_id=order_id, amount_cents=amount, payment_token=token)
        case s.RefundPayment(reason=reason):
            return c.REFUND, c.RefundV1(order_id=order_id, reason=reason)
        case _:  # a command the saga gained without a message here: a bug, never a silent drop
            raise ValueError(f"no message carries {command!r}")


def _outcome(saga: CheckoutSaga) -> Message:
    """The event that tells the world how the order ended."""
    if saga.state.order_confirmed:
        total = saga.total_cents or 0
        return c.ORDER_CONFIRMED, c.OrderConfirmedV1(order_id=saga.order_id, total_cents=total)
    reason = saga.reason or "rejected"
    return c.ORDER_REJECTED, c.OrderRejectedV1(order_id=saga.order_id, reason=reason)


async def time_out_due_sagas(
    unit_of_work: Callable[[], AbstractAsyncContextManager[OrdersUnitOfWork]],
    *,
    now: datetime,
    limit: int = 100,
) -> int:
    """Apply ``DeadlinePassed`` to every saga whose step deadline passed; returns how many.

    Each saga is handled in a transaction of its own, so one slow or failing saga does not
    hold back the others.
    """
    async with unit_of_work() as uow:
        due = await uow.orders.due_sagas(now, limit)
    handled = 0
    for order_id in due:
        async with unit_of_work() as uow:
            decision = await apply_event(order_id, s.DeadlinePassed(), uow, now=now,
                                         causation_id=None)  # fmt: skip
        handled += decision.changed
    return handled
