"""Loads and stores payments; the only place that knows how a payment maps to its row."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chassis import table_of
from sqlalchemy import Integer, bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from payments.adapters.tables import PaymentRow
from payments.domain import Payment, PaymentStatus, ReplyTo

# Core statements over the table the row class declares, built once (every charge first looks
# for the order's payment; building a statement costs more than running it).
_PAYMENTS = table_of(PaymentRow)
_INSERT_PAYMENT = insert(_PAYMENTS)
# Written with the bound values of ``_changes``; the key is bound apart from the columns.
_SAVE_PAYMENT = update(_PAYMENTS).where(_PAYMENTS.c.order_id == bindparam("key"))
_SELECT_PAYMENT = select(_PAYMENTS).where(_PAYMENTS.c.order_id == bindparam("order_id"))
_SELECT_PAYMENT_FOR_UPDATE = _SELECT_PAYMENT.with_for_update()
# SKIP LOCKED: a payment a refund is holding is left for the next round, and two instances of
# the service never settle the same payment at once.
_SELECT_DUE = (
    select(_PAYMENTS)
    .where(_PAYMENTS.c.status == PaymentStatus.PENDING.value)
    .where(_PAYMENTS.c.settle_after <= bindparam("now"))
    .order_by(_PAYMENTS.c.settle_after)
    .limit(bindparam("limit", type_=Integer))
    .with_for_update(skip_locked=True)
)
_PAGE = (
    select(_PAYMENTS)
    .order_by(_PAYMENTS.c.created_at, _PAYMENTS.c.order_id)
    .limit(bindparam("limit", type_=Integer))
    .offset(bindparam("offset", type_=Integer))
)
_PAGE_OF_STATUS = _PAGE.where(_PAYMENTS.c.status == bindparam("status"))


def _to_domain(row: Any) -> Payment:
    reply_to = None
    if row.reply_correlation_id is not None:
        reply_to = ReplyTo(row.reply_correlation_id, row.reply_causation_id)
    return Payment(
        order_id=row.order_id,
        payment_id=row.payment_id,
        status=PaymentStatus(row.status),
        amount_cents=row.amount_cents,
        refunded_cents=row.refunded_cents,
        reason=row.reason,
        settle_after=row.settle_after,
        reply_to=reply_to,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _changes(payment: Payment) -> dict[str, Any]:
    """The columns a payment's life changes (everything but its key, id and creation)."""
    return {
        "status": payment.status.value,
        "amount_cents": payment.amount_cents,
        "refunded_cents": payment.refunded_cents,
        "reason": payment.reason,
        "settle_after": payment.settle_after,
        "reply_correlation_id": payment.reply_to.correlation_id if payment.reply_to else None,
        "reply_causation_id": payment.reply_to.causation_id if payment.reply_to else None,
        "updated_at": payment.updated_at,
    }


class PaymentRepository:
    """Payments in the unit of work's transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, payment: Payment) -> None:
        """Insert a new payment. A concurrent insert for the same order fails on the primary key
        and the command is retried (its redelivery then finds this payment)."""
        # A Core insert: one per charge, and the ORM's unit of work costs more than the insert.
        await self.session.execute(
            _INSERT_PAYMENT,
            {
                "order_id": payment.order_id,
                "payment_id": payment.payment_id,
                "created_at": payment.created_at,
                **_changes(payment),
            },
        )

    async def get(self, order_id: str, *, for_update: bool = False) -> Payment | None:
        """The order's payment; ``for_update`` locks its row (PostgreSQL) until the commit, so a
        refund and the settler cannot both act on one pending payment."""
        query = _SELECT_PAYMENT_FOR_UPDATE if for_update else _SELECT_PAYMENT
        row = (await self.session.execute(query, {"order_id": order_id})).first()
        return _to_domain(row) if row else None

    async def save(self, payment: Payment) -> None:
        """Write back a payment loaded in this transaction."""
        result = await self.session.execute(
            _SAVE_PAYMENT, {"key": payment.order_id, **_changes(payment)}
        )
        if result.rowcount == 0:  # type: ignore[attr-defined]
            raise LookupError(payment.order_id)

    async def due(self, now: datetime, *, limit: int) -> list[Payment]:
        """PENDING payments whose settlement time has come by ``now``, oldest due first, locked
        for update (skipping those another transaction holds)."""
        rows = await self.session.execute(_SELECT_DUE, {"now": now, "limit": limit})
        return [_to_domain(row) for row in rows]

    async def list(self, *, status: PaymentStatus | None, limit: int, offset: int) -> list[Payment]:
        """Payments, oldest first, optionally of one status."""
        page = {"limit": limit, "offset": offset}
        if status is None:
            rows = await self.session.execute(_PAGE, page)
        else:
            rows = await self.session.execute(_PAGE_OF_STATUS, {**page, "status": status.value})
        return [_to_domain(row) for row in rows]
