"""Loads and stores orders, their lines, their saga and its step log.

The only module that knows how the domain maps to rows. Loading a saga for a change locks its
row on PostgreSQL (``FOR UPDATE``), so a reply, the sweeper and a retry never interleave on one
saga; SQLite's single writer gives the same guarantee.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from orders.adapters.tables import OrderLineRow, OrderRow, SagaRow, SagaStepRow
from orders.domain import (
    CheckoutSaga,
    Order,
    OrderLine,
    OrderStatus,
    SagaState,
    Step,
    TimelineEntry,
)

_STATUS_OF = {SagaState.CONFIRMED: OrderStatus.CONFIRMED, SagaState.REJECTED: OrderStatus.REJECTED}


class OrderRepository:
    def __init__(self, session: AsyncSession, step_timeout: timedelta) -> None:
        self.session = session
        self.step_timeout = step_timeout

    async def add(
        self, order: Order, *, idempotency_key: str | None, fingerprint: str | None
    ) -> None:
        self.session.add(
            OrderRow(
                id=order.id,
                customer_id=order.customer_id,
                status=order.status.value,
                payment_token=order.payment_token,
                idempotency_key=idempotency_key,
                request_fingerprint=fingerprint,
                created_at=order.created_at,
                updated_at=order.created_at,
            )
        )
        # Lines and saga rows reference the order: write it first.
        await self.session.flush()
        self.session.add_all(
            OrderLineRow(order_id=order.id, sku=line.sku, quantity=line.quantity)
            for line in order.lines
        )

    async def find_by_idempotency_key(self, key: str) -> tuple[str, str | None] | None:
        """The (order id, request fingerprint) recorded under ``key``, if any."""
        query = select(OrderRow.id, OrderRow.request_fingerprint).where(
            OrderRow.idempotency_key == key
        )
        row = (await self.session.execute(query)).first()
        return (row[0], row[1]) if row else None

    async def get(self, order_id: str, *, with_timeline: bool = True) -> Order | None:
        row = await self.session.get(OrderRow, order_id)
        if row is None:
            return None
        lines = await self._lines([order_id])
        order = _to_domain(row, lines.get(order_id, []))
        if with_timeline:
            steps = await self.session.execute(
                select(SagaStepRow).where(SagaStepRow.order_id == order_id).order_by(SagaStepRow.id)  # type: ignore[arg-type]
            )
            order.timeline = [
                TimelineEntry(s.step, s.outcome, s.detail, s.at) for s in steps.scalars()
            ]
        return order

    async def list(self, *, status: OrderStatus | None, limit: int, offset: int) -> list[Order]:
        query = select(OrderRow).order_by(OrderRow.created_at, OrderRow.id)  # type: ignore[arg-type]
        if status is not None:
            query = query.where(OrderRow.status == status.value)
        rows = (await self.session.execute(query.limit(limit).offset(offset))).scalars().all()
        lines = await self._lines([row.id for row in rows])
        return [_to_domain(row, lines.get(row.id, [])) for row in rows]

    async def _lines(self, order_ids: Sequence[str]) -> dict[str, list[OrderLine]]:
        if not order_ids:
            return {}
        result = await self.session.execute(
            select(OrderLineRow).where(OrderLineRow.order_id.in_(order_ids))  # type: ignore[attr-defined]
        )
        lines: dict[str, list[OrderLine]] = {}
        for row in result.scalars():
            lines.setdefault(row.order_id, []).append(OrderLine(row.sku, row.quantity))
        return lines

    # --- the saga -------------------------------------------------------------------------
    def new_saga(self, order_id: str) -> CheckoutSaga:
        return CheckoutSaga(order_id, self.step_timeout)

    async def load_saga(self, order_id: str) -> CheckoutSaga | None:
        """The saga of ``order_id``, locked for this transaction."""
        query = select(SagaRow).where(SagaRow.order_id == order_id).with_for_update()
        row = (await self.session.execute(query)).scalars().first()
        if row is None:
            return None
        return CheckoutSaga(
            order_id=row.order_id,
            step_timeout=self.step_timeout,
            state=SagaState(row.state),
            deadline_at=row.deadline_at,
            attempts=row.attempts,
            total_cents=row.total_cents,
            reason=row.reason,
        )

    async def save_saga(
        self, saga: CheckoutSaga, steps: list[Step], now: datetime, *, new: bool = False
    ) -> None:
        """Store the saga, append its new steps, and bring the order's status along."""
        # A loaded saga's row is already in the session (no query); a new one has none yet.
        row = None if new else await self.session.get(SagaRow, saga.order_id)
        if row is None:
            row = SagaRow(order_id=saga.order_id, state=saga.state.value)
            self.session.add(row)
        order_changes = saga.state.finished or row.total_cents != saga.total_cents
        row.state = saga.state.value
        row.deadline_at = saga.deadline_at
        row.attempts = saga.attempts
        row.total_cents = saga.total_cents
        row.reason = saga.reason
        self.session.add_all(
            SagaStepRow(order_id=saga.order_id, step=s.step, outcome=s.outcome,
                        detail=s.detail, at=now)
            for s in steps
        )  # fmt: skip
        if order_changes:  # the order shows only its total and its final status
            await self.session.execute(
                update(OrderRow)
                .where(OrderRow.id == saga.order_id)  # type: ignore[arg-type]
                .values(
                    status=_STATUS_OF.get(saga.state, OrderStatus.PENDING).value,
                    reason=saga.reason if saga.state is SagaState.REJECTED else None,
                    total_cents=saga.total_cents,
                    updated_at=now,
                )
            )

    async def due_sagas(self, now: datetime, limit: int) -> list[str]:
        """Unfinished sagas whose step deadline has passed (skipping ones others hold)."""
        query = (
            select(SagaRow.order_id)
            .where(SagaRow.deadline_at.is_not(None), SagaRow.deadline_at <= now)  # type: ignore[union-attr, operator]
            .order_by(SagaRow.deadline_at)  # type: ignore[arg-type]
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return list((await self.session.execute(query)).scalars())


def _to_domain(row: OrderRow, lines: list[OrderLine]) -> Order:
    return Order(
        id=row.id,
        customer_id=row.customer_id,
        lines=lines,
        payment_token=row.payment_token,
        created_at=row.created_at,
        status=OrderStatus(row.status),
        reason=row.reason,
        total_cents=row.total_cents,
    )
