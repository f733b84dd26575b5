"""The payment of one order: its state and the rules that move it. Plain Python, no I/O.

An order has at most one payment, whatever happens to it, so that a repeated or late command
can always be answered from the payment's current state instead of touching the gateway again.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from payments.domain.events import Charged, Declined, Event, Refunded

# Answers to a charge that comes after the order's payment was refunded or cancelled.
REFUNDED_BEFORE_CHARGE = "refunded before charge"
ALREADY_REFUNDED = "already refunded"


class PaymentStatus(StrEnum):
    PENDING = "PENDING"
    CHARGED = "CHARGED"
    DECLINED = "DECLINED"
    REFUNDED = "REFUNDED"
    CANCELLED = "CANCELLED"


@dataclass(frozen=True)
class ReplyTo:
    """Whom a deferred answer is for: the flow (correlation id) and the command it answers."""

    correlation_id: str
    causation_id: str | None


@dataclass
class Payment:
    """One order's payment. ``reason`` says why it is DECLINED, REFUNDED or CANCELLED."""

    order_id: str
    payment_id: str
    status: PaymentStatus
    amount_cents: int
    created_at: datetime
    updated_at: datetime
    refunded_cents: int = 0
    reason: str | None = None
    settle_after: datetime | None = None
    reply_to: ReplyTo | None = None

    @classmethod
    def new(
        cls,
        order_id: str,
        status: PaymentStatus,
        *,
        amount_cents: int,
        now: datetime,
        reason: str | None = None,
        settle_after: datetime | None = None,
        reply_to: ReplyTo | None = None,
    ) -> Payment:
        """A payment with a fresh id."""
        return cls(
            order_id=order_id,
            payment_id=str(uuid.uuid4()),
            status=status,
            amount_cents=amount_cents,
            created_at=now,
            updated_at=now,
            reason=reason,
            settle_after=settle_after,
            reply_to=reply_to,
        )

    def outcome(self) -> Event | None:
        """The answer to a charge of this order, given again to a repeated charge.

        Nothing while it is pending: the settlement answers. After a refund the order is never
        charged again, so a charge is declined.
        """
        match self.status:
            case PaymentStatus.PENDING:
                return None
            case PaymentStatus.CHARGED:
                return Charged(self.order_id, self.payment_id, self.amount_cents)
            case PaymentStatus.DECLINED:
                return Declined(self.order_id, self.reason or "declined")
            case _:
                nothing_taken = self.refunded_cents == 0
                reason = REFUNDED_BEFORE_CHARGE if nothing_taken else ALREADY_REFUNDED
                return Declined(self.order_id, reason)

    def refund(self, reason: str, now: datetime) -> Refunded:
        """Give back what was charged; a pending payment is cancelled so it never settles.

        A declined, refunded or cancelled payment is left as it is and answered again.
        """
        if self.status is PaymentStatus.CHARGED:
            self.status = PaymentStatus.REFUNDED
            self.refunded_cents = self.amount_cents
            self.reason = reason
            self.updated_at = now
        elif self.status is PaymentStatus.PENDING:
            self.status = PaymentStatus.CANCELLED
            self.reason = reason
            self.updated_at = now
        return Refunded(self.order_id, self.payment_id, self.refunded_cents)

    def settle(self, now: datetime) -> Charged | None:
        """The gateway's deferred approval arrived: charge, if still pending and due."""
        pending = self.status is PaymentStatus.PENDING
        if not pending or self.settle_after is None or self.settle_after > now:
            return None
        self.status = PaymentStatus.CHARGED
        self.updated_at = now
        return Charged(self.order_id, self.payment_id, self.amount_cents)
