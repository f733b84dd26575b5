"""Reads of the stored sagas for operators: pages, totals and one saga in full.

Core statements over orders' tables, built once at import (ADR 0015); a page adds only the
conditions its filters ask for. Nothing here locks a row: these reads never change a saga.
A page is keyset-paged (newest first: the order's ``created_at``, then its id, the index
``ix_customer_order_placed``), so a deep page costs what the first does and rows placed
meanwhile neither repeat nor hide one.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chassis import table_of
from sqlalchemy import and_, bindparam, case, desc, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from orders.adapters.tables import OrderLineRow, OrderRow, SagaRow, SagaStepRow
from orders.domain import (
    Direction,
    MessageRef,
    OrderLine,
    OrderStatus,
    SagaState,
    TimelineEntry,
)
from orders.domain.saga.overview import (
    TOP_REASONS,
    PageKey,
    SagaFilter,
    SagaRecord,
    SagaSummary,
    SagaTotals,
    is_stuck,
)

_ORDERS = table_of(OrderRow)
_LINES = table_of(OrderLineRow)
_SAGAS = table_of(SagaRow)
_STEPS = table_of(SagaStepRow)

_FINISHED = [state.value for state in SagaState if state.finished]
_RUNNING = _SAGAS.c.state.not_in(_FINISHED)
_STUCK = and_(_RUNNING, _SAGAS.c.deadline_at < bindparam("now"))
_CONFIRMED = _ORDERS.c.status == OrderStatus.CONFIRMED.value
_REJECTED = _ORDERS.c.status == OrderStatus.REJECTED.value
_FILTERS = {
    SagaFilter.RUNNING: _RUNNING,
    SagaFilter.STUCK: _STUCK,
    SagaFilter.CONFIRMED: _CONFIRMED,
    SagaFilter.REJECTED: _REJECTED,
}
_BY_REASON = _ORDERS.c.reason == bindparam("reason")
_BY_ID_OR_CUSTOMER = or_(_ORDERS.c.id == bindparam("q"), _ORDERS.c.customer_id == bindparam("q"))
_AFTER = or_(
    _ORDERS.c.created_at < bindparam("after_at"),
    and_(_ORDERS.c.created_at == bindparam("after_at"), _ORDERS.c.id < bindparam("after_id")),
)

# When the saga last moved: its last timeline entry (by the saga_step index on order_id).
_LAST_ENTRY_AT = (
    select(func.max(_STEPS.c.at))
    .where(_STEPS.c.order_id == _ORDERS.c.id)
    .correlate(_ORDERS)
    .scalar_subquery()
)
_SUMMARY = select(
    _SAGAS.c.order_id,
    _ORDERS.c.customer_id,
    _SAGAS.c.state,
    _ORDERS.c.status,
    func.coalesce(_ORDERS.c.reason, _SAGAS.c.reason).label("reason"),
    _ORDERS.c.total_cents,
    _ORDERS.c.created_at.label("placed_at"),
    func.coalesce(_LAST_ENTRY_AT, _ORDERS.c.updated_at).label("updated_at"),
    _SAGAS.c.deadline_at,
    _SAGAS.c.attempts,
    _ORDERS.c.trace_id,
).join_from(_SAGAS, _ORDERS, _ORDERS.c.id == _SAGAS.c.order_id)
_PAGE = _SUMMARY.order_by(desc(_ORDERS.c.created_at), desc(_ORDERS.c.id)).limit(bindparam("limit"))
_ONE = _SUMMARY.where(_SAGAS.c.order_id == bindparam("order_id"))


def _count(condition: Any) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


_TOTALS = select(
    func.count().label("total"),
    _count(_RUNNING).label("running"),
    _count(_STUCK).label("stuck"),
    _count(_CONFIRMED).label("confirmed"),
    _count(_REJECTED).label("rejected"),
).join_from(_SAGAS, _ORDERS, _ORDERS.c.id == _SAGAS.c.order_id)
_BY_STATE = select(_SAGAS.c.state, func.count()).group_by(_SAGAS.c.state)
_N = func.count().label("n")
_REASONS = (
    select(_ORDERS.c.reason, _N)
    .where(_REJECTED, _ORDERS.c.reason.is_not(None))
    .group_by(_ORDERS.c.reason)
    .order_by(desc(_N), _ORDERS.c.reason)
    .limit(TOP_REASONS)
)
_LINES_OF = select(_LINES.c.sku, _LINES.c.quantity).where(
    _LINES.c.order_id == bindparam("order_id")
)
_TIMELINE = (
    select(
        _STEPS.c.step,
        _STEPS.c.outcome,
        _STEPS.c.detail,
        _STEPS.c.at,
        _STEPS.c.message_id,
        _STEPS.c.message_type,
        _STEPS.c.direction,
    )
    .where(_STEPS.c.order_id == bindparam("order_id"))
    .order_by(_STEPS.c.id)
)


class SagaQueries:
    """What operators read of the sagas, in the unit of work's transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def page(
        self,
        *,
        now: datetime,
        limit: int,
        only: SagaFilter | None = None,
        reason: str | None = None,
        q: str | None = None,
        after: PageKey | None = None,
    ) -> list[SagaSummary]:
        """Up to ``limit`` sagas, newest first, after ``after`` (a previous page's last)."""
        query = _PAGE
        params: dict[str, Any] = {"limit": limit, "now": now}
        if only is not None:
            query = query.where(_FILTERS[only])
        if reason is not None:
            query, params["reason"] = query.where(_BY_REASON), reason
        if q is not None:
            query, params["q"] = query.where(_BY_ID_OR_CUSTOMER), q
        if after is not None:
            query = query.where(_AFTER)
            params |= {"after_at": after.placed_at, "after_id": after.order_id}
        rows = (await self.session.execute(query, params)).all()
        return [_summary(row, now) for row in rows]

    async def totals(self, now: datetime) -> SagaTotals:
        """Counts over every saga: by filter, by state (each one, 0 included), by reason."""
        counts = (await self.session.execute(_TOTALS, {"now": now})).one()
        rows = (await self.session.execute(_BY_STATE)).all()
        by_state: dict[str, int] = {state: int(n) for state, n in rows}
        reasons = (await self.session.execute(_REASONS)).all()
        return SagaTotals(
            running=int(counts.running),
            stuck=int(counts.stuck),
            confirmed=int(counts.confirmed),
            rejected=int(counts.rejected),
            total=int(counts.total),
            states={state: by_state.get(state.value, 0) for state in SagaState},
            reasons=[(reason, int(n)) for reason, n in reasons],
        )

    async def record(self, order_id: str, now: datetime) -> SagaRecord | None:
        """The saga of ``order_id`` in full; None for an order that is not ours."""
        params = {"order_id": order_id}
        row = (await self.session.execute(_ONE, params)).first()
        if row is None:
            return None
        lines = [
            OrderLine(r.sku, r.quantity) for r in await self.session.execute(_LINES_OF, params)
        ]
        steps = await self.session.execute(_TIMELINE, params)
        timeline = [
            TimelineEntry(s.step, s.outcome, s.detail, s.at, message=_message(s)) for s in steps
        ]
        return SagaRecord(_summary(row, now), lines, row.trace_id, timeline)


def _summary(row: Any, now: datetime) -> SagaSummary:
    state = SagaState(row.state)
    return SagaSummary(
        order_id=row.order_id,
        customer_id=row.customer_id,
        state=state,
        status=OrderStatus(row.status),
        reason=row.reason,
        total_cents=row.total_cents,
        placed_at=row.placed_at,
        updated_at=row.updated_at,
        deadline_at=row.deadline_at,
        attempts=row.attempts,
        stuck=is_stuck(state, row.deadline_at, now),
    )


def _message(row: Any) -> MessageRef | None:
    if row.message_id is None or row.message_type is None or row.direction is None:
        return None  # an entry with no message (a deadline passing), or written before 0003
    return MessageRef(row.message_id, row.message_type, Direction(row.direction))
