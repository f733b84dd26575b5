"""Runs the checkout saga: feeds it replies and deadlines, persists what it decides.

Every call happens inside one transaction: the saga row, its new timeline entries, the order's
status, the commands it sends and the outcome it announces (outbox rows) commit together, so a
crash at any point leaves either all of a step or none of it, and the saga continues from its
stored state on restart.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from chassis import Envelope
from chassis.faults import crash_point

from orders.domain import (
    CheckoutSaga,
    Decision,
    Direction,
    MessageRef,
    SagaEvent,
    SagaState,
    TimelineEntry,
)
from orders.service_layer.unit_of_work import OrdersUnitOfWork

AFTER_STEP_BEFORE_COMMIT = "saga.after_step_before_commit"


async def apply_event(
    order_id: str, event: SagaEvent, uow: OrdersUnitOfWork, *, now: datetime
) -> Decision:
    """Feed one reply (or a passed deadline) to the saga of ``order_id``."""
    saga = await uow.orders.load_saga(order_id)
    if saga is None:
        return Decision()  # not an order of ours: nothing to do
    was_finished = saga.state.finished
    decision = saga.handle(event, now)
    if decision.changed:
        await record_decision(saga, decision, uow, now=now)
    if saga.state.finished and not was_finished:
        _tell_finished(saga, uow, now)
    return decision


def _tell_finished(saga: CheckoutSaga, uow: OrdersUnitOfWork, now: datetime) -> None:
    """Once this transaction commits, tell how the saga ended and how long it took (the
    metrics' duration histogram): after the commit, so a retried step is not counted twice."""
    placed = uow.orders.placed_at(saga.order_id)
    if placed is None:
        return
    outcome = "confirmed" if saga.state is SagaState.CONFIRMED else "rejected"
    seconds = max((now - placed).total_seconds(), 0.0)
    uow.after_commit(lambda: uow.saga_finished(outcome, seconds))


async def record_decision(
    saga: CheckoutSaga,
    decision: Decision,
    uow: OrdersUnitOfWork,
    *,
    now: datetime,
    new_saga: bool = False,
) -> None:
    """Queue the saga's commands and, when this decision reached it, its outcome, in one outbox
    insert; then persist the saga and its timeline, each entry with the message it stands for.

    Inside a reply (the unit of work replies to it) the messages' causation is that reply;
    their correlation is always the order's id. Emitting first gives the entries their
    messages' ids without a statement more: they go in the timeline's one insert.
    """
    outcome = [decision.outcome] if decision.outcome is not None else []
    messages = [*decision.commands, *outcome]
    envelopes = await uow.emit(messages, correlation_id=saga.order_id)
    # emit returns one envelope per message, in order; each entry names its message itself.
    sent = {id(message): envelope for message, envelope in zip(messages, envelopes, strict=True)}
    timeline = _with_messages(decision.timeline, sent, uow.replying_to)
    await uow.orders.save_saga(saga, timeline, now, new=new_saga)
    # Test-only (ORDERS_CRASH_POINTS): die inside the step's transaction, after the new state, its
    # timeline and its commands are written, before they commit: the step must then happen once.
    crash_point(AFTER_STEP_BEFORE_COMMIT)


def _with_messages(
    timeline: Sequence[TimelineEntry], sent: dict[int, Envelope], reply: Envelope | None
) -> list[TimelineEntry]:
    """The entries, each with the message it stands for: the envelope of the command (or
    outcome) it sends, or the reply being applied (none when a deadline passed)."""
    annotated = []
    for entry in timeline:
        message = None
        if entry.sends is not None:
            envelope = sent[id(entry.sends)]
            message = MessageRef(envelope.id, envelope.type, Direction.SENT)
        elif entry.records_reply and reply is not None:
            message = MessageRef(reply.id, reply.type, Direction.RECEIVED)
        annotated.append(replace(entry, message=message) if message else entry)
    return annotated
