"""What payments does. A handler's state change and its replies (through the outbox) commit
together: a reply is sent if and only if the change it reports was stored."""

from __future__ import annotations

from datetime import datetime

from payments.domain import Charge, Decision, Refund, ReplyTo, SimulatedGateway, decisions
from payments.messaging.contracts import reply_for
from payments.service_layer.unit_of_work import PaymentsUnitOfWork


async def charge(
    command: Charge,
    uow: PaymentsUnitOfWork,
    *,
    gateway: SimulatedGateway,
    reply_to: ReplyTo,
    now: datetime,
) -> Decision:
    """Charge an order once; a repeated charge is answered with the current outcome."""
    existing = await uow.payments.get(command.order_id, for_update=True)
    decision = decisions.charge(existing, command, gateway, now=now, reply_to=reply_to)
    await _apply(decision, uow, reply_to)
    return decision


async def refund(
    command: Refund, uow: PaymentsUnitOfWork, *, reply_to: ReplyTo, now: datetime
) -> Decision:
    """Refund an order's payment (cancel it if pending; a tombstone if there is none)."""
    existing = await uow.payments.get(command.order_id, for_update=True)
    decision = decisions.refund(existing, command, now=now)
    await _apply(decision, uow, reply_to)
    return decision


async def settle_due(uow: PaymentsUnitOfWork, *, now: datetime, limit: int = 100) -> int:
    """Settle the pending payments that are due; each answers the charge that started it.

    Returns how many were settled.
    """
    settled = 0
    for payment in await uow.payments.due(now, limit=limit):
        decision = decisions.settle(payment, now=now)
        reply_to = payment.reply_to or ReplyTo(payment.order_id, None)
        await _apply(decision, uow, reply_to)
        settled += bool(decision.events)
    return settled


async def _apply(decision: Decision, uow: PaymentsUnitOfWork, reply_to: ReplyTo) -> None:
    if decision.payment is not None:
        if decision.created:
            await uow.payments.add(decision.payment)
        else:
            await uow.payments.save(decision.payment)
    for event in decision.events:
        contract, payload = reply_for(event)
        await uow.send(
            contract,
            payload,
            correlation_id=reply_to.correlation_id,
            causation_id=reply_to.causation_id,
        )
