"""The idempotency decisions: what a command does to an order's payment (which may not exist
yet), and what it answers. Pure functions, so every case is unit-tested without I/O.

- A charge of an order without a payment asks the gateway once and stores the result.
- A charge of an order that has a payment never charges again: the current outcome is answered
  (nothing while pending; ``declined`` once refunded).
- A refund with no payment leaves a tombstone (REFUNDED, amount 0) so a later charge is declined.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from payments.domain.commands import Charge, Refund
from payments.domain.events import Charged, Declined, Event, Refunded
from payments.domain.gateway import Approved, Deferred, Refused, SimulatedGateway
from payments.domain.model import Payment, PaymentStatus, ReplyTo


@dataclass(frozen=True)
class Decision:
    """What to store (``payment``, new when ``created``; None when nothing changed) and the
    events to answer with."""

    events: tuple[Event, ...] = ()
    payment: Payment | None = None
    created: bool = False


def charge(
    existing: Payment | None,
    command: Charge,
    gateway: SimulatedGateway,
    *,
    now: datetime,
    reply_to: ReplyTo,
) -> Decision:
    """Charge an order once; any later charge of it is answered from the stored payment."""
    if existing is not None:
        answer = existing.outcome()
        return Decision(events=(answer,) if answer else ())

    verdict = gateway.authorize(command.amount_cents, command.payment_token, now=now)
    order, amount = command.order_id, command.amount_cents
    event: Event | None
    match verdict:
        case Approved():
            payment = Payment.new(order, PaymentStatus.CHARGED, amount_cents=amount, now=now)
            event = Charged(order, payment.payment_id, amount)
        case Refused(reason=reason):
            payment = Payment.new(
                order, PaymentStatus.DECLINED, amount_cents=amount, now=now, reason=reason
            )
            event = Declined(order, reason)
        case Deferred(settle_after=settle_after):
            # Kept with whom to answer: the settler replies when the gateway does.
            payment = Payment.new(
                order,
                PaymentStatus.PENDING,
                amount_cents=amount,
                now=now,
                settle_after=settle_after,
                reply_to=reply_to,
            )
            event = None
    return Decision(events=(event,) if event else (), payment=payment, created=True)


def refund(existing: Payment | None, command: Refund, *, now: datetime) -> Decision:
    """Refund an order's payment; every refund is answered with ``Refunded``."""
    if existing is None:
        tombstone = Payment.new(
            command.order_id, PaymentStatus.REFUNDED, amount_cents=0, now=now, reason=command.reason
        )
        answer = Refunded(command.order_id, tombstone.payment_id, 0)
        return Decision(events=(answer,), payment=tombstone, created=True)
    before = existing.status
    answer = existing.refund(command.reason, now)
    changed = existing.status is not before
    return Decision(events=(answer,), payment=existing if changed else None)


def settle(payment: Payment, *, now: datetime) -> Decision:
    """Settle a pending payment that is due; anything else is left alone."""
    charged = payment.settle(now)
    if charged is None:
        return Decision()
    return Decision(events=(charged,), payment=payment)
