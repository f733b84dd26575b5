"""Runs the checkout saga: feeds it replies and deadlines, persists what it decides.

Every call happens inside one transaction: the saga row, its new timeline steps, the order's
status and the commands it sends (outbox rows) commit together, so a crash at any point leaves
either all of a step or none of it, and the saga continues from its stored state on restart.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import datetime

from chassis.faults import crash_point

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

    ``order`` is passed when the caller has it at hand (placing an order); otherwise it is read
    only if a command needs its lines or payment token.
    """
    await uow.orders.save_saga(saga, decision.steps, now, new=new_saga)
    for command in decision.commands:
        if order is None and isinstance(command, s.ReserveStock | s.ChargePayment):
            order = await uow.orders.get(saga.order_id, with_timeline=False)
            assert order is not None
        await _send(command, saga.order_id, order, uow, causation_id)
    if any(step.step == "order" for step in decision.steps):
        await _announce_outcome(saga, uow, causation_id)
    # Test-only (ORDERS_CRASH_POINTS): die inside the step's transaction, after the new state, its
    # timeline and its commands are written, before they commit: the step must then happen once.
    crash_point(AFTER_STEP_BEFORE_COMMIT)


async def _send(
    command: s.SagaCommand,
    order_id: str,
    order: Order | None,
    uow: OrdersUnitOfWork,
    causation_id: str | None,
) -> None:
    """Queue the message that carries ``command`` (copied contracts of inventory/payments)."""
    options = {"correlation_id": order_id, "causation_id": causation_id}
    match command:
        case s.ReserveStock() if order is not None:
            stock = [c.StockLine(sku=line.sku, quantity=line.quantity) for line in order.lines]
            await uow.send(c.RESERVE_STOCK, c.ReserveStockV1(order_id=order_id, lines=stock),
                           **options)  # fmt: skip
        case s.ReleaseStock(reason=reason):
            await uow.send(c.RELEASE_STOCK, c.ReleaseStockV1(order_id=order_id, reason=reason),
                           **options)  # fmt: skip
        case s.CommitStock():
            await uow.send(c.COMMIT_STOCK, c.CommitStockV1(order_id=order_id), **options)
        case s.ChargePayment(amount_cents=amount) if order is not None:
            payload = c.ChargeV1(
                order_id=order_id, amount_cents=amount, payment_token=order.payment_token
            )
            await uow.send(c.CHARGE, payload, **options)
        case s.RefundPayment(reason=reason):
            await uow.send(c.REFUND, c.RefundV1(order_id=order_id, reason=reason), **options)
        case _:  # a command that needs the order, sent without it: a bug, never a silent drop
            raise ValueError(f"cannot send {command!r} for order {order_id} without the order")


async def _announce_outcome(
    saga: CheckoutSaga, uow: OrdersUnitOfWork, causation_id: str | None
) -> None:
    options = {"correlation_id": saga.order_id, "causation_id": causation_id}
    if saga.state.order_confirmed:
        payload = c.OrderConfirmedV1(order_id=saga.order_id, total_cents=saga.total_cents or 0)
        await uow.send(c.ORDER_CONFIRMED, payload, **options)
    else:
        payload_r = c.OrderRejectedV1(order_id=saga.order_id, reason=saga.reason or "rejected")
        await uow.send(c.ORDER_REJECTED, payload_r, **options)


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
