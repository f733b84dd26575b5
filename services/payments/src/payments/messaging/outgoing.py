"""The messages payments sends: the one place a domain event becomes a contract and a payload.

The composition root hands :func:`message_for` to every unit of work, so a handler only emits
domain events and never names a contract or builds an envelope.
"""

from __future__ import annotations

from chassis import OutgoingMessage

from payments.domain import Charged, Declined, Event, Refunded
from payments.messaging import contracts as c


def message_for(event: Event) -> OutgoingMessage:
    """The contract and payload that carry ``event`` to the caller."""
    match event:
        case Charged():
            charged = c.ChargedV1(
                order_id=event.order_id,
                payment_id=event.payment_id,
                amount_cents=event.amount_cents,
            )
            return c.CHARGED, charged
        case Declined():
            return c.DECLINED, c.DeclinedV1(order_id=event.order_id, reason=event.reason)
        case Refunded():
            refunded = c.RefundedV1(
                order_id=event.order_id,
                payment_id=event.payment_id,
                amount_cents=event.amount_cents,
            )
            return c.REFUNDED, refunded
    raise TypeError(f"no contract carries {event!r}")
