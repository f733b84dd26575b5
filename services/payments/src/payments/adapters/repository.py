"""Loads and stores payments; the only place that knows how a payment maps to its row."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Table, bindparam, insert, update
from sqlalchemy import select as core_select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from payments.adapters.tables import PaymentRow
from payments.domain import Payment, PaymentStatus, ReplyTo

_PAYMENTS: Table = PaymentRow.__table__  # type: ignore[attr-defined]
_INSERT_PAYMENT = insert(_PAYMENTS)
# Written with the bound values of ``_changes``; the key is bound apart from the columns.
_SAVE_PAYMENT = update(_PAYMENTS).where(_PAYMENTS.c.order_id == bindparam("key"))
# Every charge first looks for the order's payment: a Core statement built once.
_SELECT_PAYMENT = core_select(_PAYMENTS).where(_PAYMENTS.c.order_id == bindparam("order_id"))
_SELECT_PAYMENT_FOR_UPDATE = _SELECT_PAYMENT.with_for_update()


def _utc(moment: datetime) -> datetime:
    # SQLite hands timestamps back without a zone; every timestamp we write is UTC.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


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
        settle_after=_utc(row.settle_after) if row.settle_after else None,
        reply_to=reply_to,
        created_at=_utc(row.created_at),
        updated_at=_utc(row.updated_at),
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
        """PENDING payments whose settlement time has come, locked for update.

        SKIP LOCKED: a payment a refund is holding is left for the next round, and two instances
        of the service never settle the same payment at once.
        """
        query = (
            select(PaymentRow)
            .where(PaymentRow.status == PaymentStatus.PENDING.value)
            .where(col(PaymentRow.settle_after) <= now)
            .order_by(col(PaymentRow.settle_after))
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        rows = (await self.session.execute(query)).scalars().all()
        return [_to_domain(row) for row in rows]

    async def list(self, *, status: PaymentStatus | None, limit: int, offset: int) -> list[Payment]:
        """Payments, oldest first, optionally of one status."""
        query = select(PaymentRow)
        if status is not None:
            query = query.where(PaymentRow.status == status.value)
        query = query.order_by(col(PaymentRow.created_at), col(PaymentRow.order_id))
        rows = (await self.session.execute(query.limit(limit).offset(offset))).scalars().all()
        return [_to_domain(row) for row in rows]
