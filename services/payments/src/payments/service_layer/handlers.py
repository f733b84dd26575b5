"""What payments does: handlers ``(command, unit of work, now) -> decision``.

A handler's state change and its replies commit together: it emits the decision's events and
the unit of work writes them to the outbox in the same transaction, so a reply is sent if and
only if the change it reports was stored. Inside a consumer the unit of work answers the
incoming command (its correlation id, and its id as the causation id).
"""

from __future__ import annotations

from datetime import datetime

from payments.domain import Charge, Decision, Refund, ReplyTo, SimulatedGateway, decisions
from payments.service_layer.unit_of_work import PaymentsUnitOfWork


async def charge(
    command: Charge,
    uow: PaymentsUnitOfWork,
    *,
    gateway: SimulatedGateway,
    reply_to: ReplyTo,
    now: datetime,
) -> Decision:
    """Charge an order once; a repeated charge is answered with the current outcome.

    ``reply_to`` (the command's conversation and id) is stored with a deferred charge, whose
    settlement answers later.
    """
    existing = await uow.payments.get(command.order_id, for_update=True)
    decision = decisions.charge(existing, command, gateway, now=now, reply_to=reply_to)
    await _store(decision, uow)
    await uow.emit(decision.events)
    return decision


async def refund(command: Refund, uow: PaymentsUnitOfWork, *, now: datetime) -> Decision:
    """Refund an order's payment (cancel it if pending; a tombstone if there is none)."""
    existing = await uow.payments.get(command.order_id, for_update=True)
    decision = decisions.refund(existing, command, now=now)
    await _store(decision, uow)
    await uow.emit(decision.events)
    return decision


async def settle_due(uow: PaymentsUnitOfWork, *, now: datetime, limit: int = 100) -> int:
    """Settle the pending payments that are due; each answers the charge that started it.

    Returns how many were settled.
    """
    settled = 0
    for payment in await uow.payments.due(now, limit=limit):
        decision = decisions.settle(payment, now=now)
        await _store(decision, uow)
        # No incoming message is at hand: the answer carries the ids stored with the payment.
        reply_to = payment.reply_to or ReplyTo(payment.order_id, None)
        await uow.emit(
            decision.events,
            correlation_id=reply_to.correlation_id,
            causation_id=reply_to.causation_id,
        )
        settled += bool(decision.events)
    return settled


async def _store(decision: Decision, uow: PaymentsUnitOfWork) -> None:
    if decision.payment is None:
        return
    if decision.created:
        await uow.payments.add(decision.payment)
    else:
        await uow.payments.save(decision.payment)
