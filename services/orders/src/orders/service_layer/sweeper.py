"""The saga sweeper's step: time out the saga steps whose deadline passed.

The composition root runs it every ``ORDERS_SAGA_SWEEP_INTERVAL_S`` (``runtime.every``), which
starts, stops and retries it as every background loop.
"""

from __future__ import annotations

from datetime import datetime

from orders.domain import DeadlinePassed
from orders.service_layer.saga_runner import apply_event
from orders.service_layer.unit_of_work import UnitOfWorkFactory


async def time_out_due_sagas(
    unit_of_work: UnitOfWorkFactory, *, now: datetime, limit: int = 100
) -> int:
    """Apply ``DeadlinePassed`` to every saga whose step deadline passed; returns how many
    changed.

    Each saga is handled in a transaction of its own, so one slow or failing saga does not
    hold back the others.
    """
    async with unit_of_work() as uow:
        due = await uow.orders.due_sagas(now, limit)
    handled = 0
    for order_id in due:
        async with unit_of_work() as uow:
            # The timeout and its compensation stay in the trace the order's request began.
            with await uow.continuing_trace(order_id, "saga deadline passed"):
                decision = await apply_event(order_id, DeadlinePassed(), uow, now=now)
        handled += decision.changed
    return handled
