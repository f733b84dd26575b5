"""Response bodies (the public shape, separate from the tables)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from payments.domain import Payment, PaymentStatus


class PaymentPublic(BaseModel):
    """An order's payment as the API shows it."""

    order_id: str
    payment_id: str
    status: PaymentStatus
    amount_cents: int
    refunded_cents: int
    reason: str | None
    settle_after: datetime | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, payment: Payment) -> PaymentPublic:
        return cls(
            order_id=payment.order_id,
            payment_id=payment.payment_id,
            status=payment.status,
            amount_cents=payment.amount_cents,
            refunded_cents=payment.refunded_cents,
            reason=payment.reason,
            settle_after=payment.settle_after,
            created_at=payment.created_at,
            updated_at=payment.updated_at,
        )
