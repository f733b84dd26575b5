"""The messages orders sends: the one place a saga's command or a checkout's outcome becomes a
contract and a payload.

The composition root hands :func:`message_for` to every unit of work, so the saga runner only
emits what the saga decided (``await uow.emit(...)``) and never names a contract or builds an
envelope.
"""

from __future__ import annotations

from chassis import OutgoingMessage

from orders.domain import (
    ChargePayment,
    CommitStock,
    OrderConfirmed,
    OrderRejected,
    Outcome,
    RefundPayment,
    ReleaseStock,
    ReserveStock,
    SagaCommand,
)
from orders.messaging import contracts as c


def message_for(event: SagaCommand | Outcome) -> OutgoingMessage:
    """The contract and payload that carry ``event``."""
    match event:
        case ReserveStock():
            lines = [c.StockLine(sku=line.sku, quantity=line.quantity) for line in event.lines]
            return c.RESERVE_STOCK, c.ReserveStockV1(order_id=event.order_id, lines=lines)
        case CommitStock():
            return c.COMMIT_STOCK, c.CommitStockV1(order_id=event.order_id)
        case ReleaseStock():
            return c.RELEASE_STOCK, c.ReleaseStockV1(order_id=event.order_id, reason=event.reason)
        case ChargePayment():
            charge = c.ChargeV1(
                order_id=event.order_id,
                amount_cents=event.amount_cents,
                payment_token=event.payment_token,
            )
            return c.CHARGE, charge
        case RefundPayment():
            return c.REFUND, c.RefundV1(order_id=event.order_id, reason=event.reason)
        case OrderConfirmed():
            confirmed = c.OrderConfirmedV1(order_id=event.order_id, total_cents=event.total_cents)
            return c.ORDER_CONFIRMED, confirmed
        case OrderRejected():
            return c.ORDER_REJECTED, c.OrderRejectedV1(order_id=event.order_id, reason=event.reason)
    # A command the saga gained without a message here: a bug, never a silent drop.
    raise TypeError(f"no contract carries {event!r}")
