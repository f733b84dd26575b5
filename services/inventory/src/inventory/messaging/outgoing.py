"""The messages inventory sends: the one place a domain event becomes a contract and a payload.

The composition root hands :func:`message_for` to every unit of work, so a handler only emits
domain events (``await uow.emit([event])``) and never names a contract or builds an envelope.
"""

from __future__ import annotations

from chassis import OutgoingMessage

from inventory.domain import Event, StockCommitted, StockRejected, StockReleased, StockReserved
from inventory.messaging import contracts as c


def message_for(event: Event) -> OutgoingMessage:
    """The contract and payload that announce ``event``."""
    match event:
        case StockReserved():
            lines = [
                c.ReservedLineV1(
                    sku=line.sku, quantity=line.quantity, unit_price_cents=line.unit_price_cents
                )
                for line in event.lines
            ]
            reserved = c.StockReservedV1(
                order_id=event.order_id, lines=lines, total_cents=event.total_cents
            )
            return c.STOCK_RESERVED, reserved
        case StockRejected():
            unavailable = [
                c.UnavailableLineV1(sku=x.sku, requested=x.requested, available=x.available)
                for x in event.unavailable
            ]
            rejected = c.StockRejectedV1(
                order_id=event.order_id, reason=event.reason, unavailable=unavailable
            )
            return c.STOCK_REJECTED, rejected
        case StockReleased():
            return c.STOCK_RELEASED, c.StockReleasedV1(order_id=event.order_id)
        case StockCommitted():
            return c.STOCK_COMMITTED, c.StockCommittedV1(order_id=event.order_id)
    raise TypeError(f"no contract announces {event!r}")
