"""Loads and stores orders, their lines, their saga and its timeline.

The only module that knows how the domain maps to rows: SQLAlchemy Core statements over the
tables the row classes declare, each built once at import (ADR 0015). Each saga step runs the
saga's statements, and the ORM's unit of work and statement building were most of this
service's CPU (docs/benchmarks.md).

Loading a saga for a change locks its row on PostgreSQL (``FOR UPDATE``), so a reply, the
sweeper and a retry never interleave on one saga; SQLite's single writer gives the same
guarantee. The same statement reads what the saga needs of its order (the payment token) and
what the order row shows (status, total), so a step costs no extra read, and the order row is
written only when what it shows changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from chassis import table_of
from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from orders.adapters.tables import OrderLineRow, OrderRow, SagaRow, SagaStepRow
from orders.domain import (
    CheckoutData,
    CheckoutSaga,
    Order,
    OrderLine,
    OrderStatus,
    SagaState,
    TimelineEntry,
)

_ORDERS = table_of(OrderRow)
_LINES = table_of(OrderLineRow)
_SAGAS = table_of(SagaRow)
_STEPS = table_of(SagaStepRow)

_INSERT_ORDER = insert(_ORDERS)
_INSERT_LINES = insert(_LINES)
_INSERT_SAGA = insert(_SAGAS)
_INSERT_STEPS = insert(_STEPS)
_SELECT_ORDER = select(_ORDERS).where(_ORDERS.c.id == bindparam("order_id"))
_SELECT_PAGE = select(_ORDERS).order_by(_ORDERS.c.created_at, _ORDERS.c.id)
_SELECT_BY_KEY = select(_ORDERS.c.id, _ORDERS.c.request_fingerprint).where(
    _ORDERS.c.idempotency_key == bindparam("key")
)
_SELECT_LINES = select(_LINES.c.order_id, _LINES.c.sku, _LINES.c.quantity).where(
    _LINES.c.order_id.in_(bindparam("order_ids", expanding=True))
)
_SELECT_TIMELINE = (
    select(_STEPS.c.step, _STEPS.c.outcome, _STEPS.c.detail, _STEPS.c.at)
    .where(_STEPS.c.order_id == bindparam("order_id"))
    .order_by(_STEPS.c.id)
)
_SAGAS_BY_STATE = select(_SAGAS.c.state, func.count()).group_by(_SAGAS.c.state)
# Only the saga row is locked.
_LOAD_SAGA = (
    select(
        _SAGAS,
        _ORDERS.c.status.label("order_status"),
        _ORDERS.c.total_cents.label("order_total_cents"),
        _ORDERS.c.payment_token,
        _ORDERS.c.created_at.label("order_created_at"),
    )
    .join(_ORDERS, _ORDERS.c.id == _SAGAS.c.order_id)
    .where(_SAGAS.c.order_id == bindparam("order_id"))
    .with_for_update(of=_SAGAS)
)
_DUE_SAGAS = (
    select(_SAGAS.c.order_id)
    .where(_SAGAS.c.deadline_at.is_not(None), _SAGAS.c.deadline_at <= bindparam("now"))
    .order_by(_SAGAS.c.deadline_at)
    .limit(bindparam("limit"))
    .with_for_update(skip_locked=True)
)
_SAGA_FIELDS = ("state", "deadline_at", "attempts", "total_cents", "reason")
# Bound names differ from the columns': SQLAlchemy reserves those for its own SET parameters.
_UPDATE_SAGA = (
    update(_SAGAS)
    .where(_SAGAS.c.order_id == bindparam("b_order_id"))
    .values({name: bindparam(f"b_{name}") for name in _SAGA_FIELDS})
)
_UPDATE_ORDER = (
    update(_ORDERS)
    .where(_ORDERS.c.id == bindparam("b_order_id"))
    .values(
        {name: bindparam(f"b_{name}") for name in ("status", "reason", "total_cents", "updated_at")}
    )
)

Shown = tuple[OrderStatus, int | None]
"""What an order row shows of its checkout: its status and its total."""


class OrderRepository:
    def __init__(self, session: AsyncSession, step_timeout: timedelta) -> None:
        self.session = session
        self.step_timeout = step_timeout
        # What each order row shows as this transaction read or wrote it: the row is updated
        # only when that changes.
        self._shown: dict[str, Shown] = {}
        # When each saga loaded here started (its order was placed): read with the saga.
        self._placed_at: dict[str, datetime] = {}

    async def add(
        self,
        order: Order,
        *,
        idempotency_key: str | None,
        fingerprint: str | None,
        trace_id: str | None = None,
    ) -> None:
        # The order first: its lines and saga reference it.
        await self.session.execute(
            _INSERT_ORDER,
            {
                "id": order.id,
                "customer_id": order.customer_id,
                "status": order.status.value,
                "reason": None,
                "total_cents": None,
                "payment_token": order.payment_token,
                "idempotency_key": idempotency_key,
                "request_fingerprint": fingerprint,
                "created_at": order.created_at,
                "updated_at": order.created_at,
                "trace_id": trace_id,
            },
        )
        await self.session.execute(
            _INSERT_LINES,
            [
                {"order_id": order.id, "sku": line.sku, "quantity": line.quantity}
                for line in order.lines
            ],
        )

    async def find_by_idempotency_key(self, key: str) -> tuple[str, str | None] | None:
        """The (order id, request fingerprint) recorded under ``key``, if any."""
        row = (await self.session.execute(_SELECT_BY_KEY, {"key": key})).first()
        return (row.id, row.request_fingerprint) if row else None

    async def get(self, order_id: str) -> Order | None:
        """The order with its lines and its timeline."""
        row = (await self.session.execute(_SELECT_ORDER, {"order_id": order_id})).first()
        if row is None:
            return None
        lines = await self._lines([order_id])
        order = _to_domain(row, lines.get(order_id, []))
        steps = await self.session.execute(_SELECT_TIMELINE, {"order_id": order_id})
        order.timeline = [TimelineEntry(s.step, s.outcome, s.detail, s.at) for s in steps]
        return order

    async def page(
        self,
        *,
        status: OrderStatus | None,
        limit: int,
        offset: int,
        customer_id: str | None = None,
    ) -> list[Order]:
        """Orders oldest first (with their lines, without timelines), optionally of a status,
        optionally only one customer's (``ix_customer_order_customer_id``)."""
        query = _SELECT_PAGE
        if customer_id is not None:
            query = query.where(_ORDERS.c.customer_id == customer_id)
        if status is not None:
            query = query.where(_ORDERS.c.status == status.value)
        rows = (await self.session.execute(query.limit(limit).offset(offset))).all()
        lines = await self._lines([row.id for row in rows])
        return [_to_domain(row, lines.get(row.id, [])) for row in rows]

    async def _lines(self, order_ids: Sequence[str]) -> dict[str, list[OrderLine]]:
        if not order_ids:
            return {}
        result = await self.session.execute(_SELECT_LINES, {"order_ids": list(order_ids)})
        lines: dict[str, list[OrderLine]] = {}
        for row in result:
            lines.setdefault(row.order_id, []).append(OrderLine(row.sku, row.quantity))
        return lines

    # --- the saga -------------------------------------------------------------------------
    def new_saga(self, order: Order) -> CheckoutSaga:
        """The checkout of ``order``, placed in this transaction (see ``add``)."""
        return CheckoutSaga.of(order, self.step_timeout)

    async def load_saga(self, order_id: str) -> CheckoutSaga | None:
        """The saga of ``order_id``, locked for this transaction."""
        row = (await self.session.execute(_LOAD_SAGA, {"order_id": order_id})).first()
        if row is None:
            return None
        self._shown[order_id] = (OrderStatus(row.order_status), row.order_total_cents)
        self._placed_at[order_id] = row.order_created_at
        return CheckoutSaga(
            CheckoutData(row.order_id, row.payment_token, total_cents=row.total_cents),
            self.step_timeout,
            state=SagaState(row.state),
            deadline_at=row.deadline_at,
            attempts=row.attempts,
            reason=row.reason,
        )

    async def save_saga(
        self,
        saga: CheckoutSaga,
        timeline: Sequence[TimelineEntry],
        now: datetime,
        *,
        new: bool = False,
    ) -> None:
        """Store the saga, append its new timeline entries (with the message of each, when the
        service layer gave it one), and bring the order row along."""
        order_id = saga.order_id
        values = {
            "state": saga.state.value,
            "deadline_at": saga.deadline_at,
            "attempts": saga.attempts,
            "total_cents": saga.data.total_cents,
            "reason": saga.reason,
        }
        shown: Shown | None
        if new:
            await self.session.execute(_INSERT_SAGA, {"order_id": order_id, **values})
            shown = (OrderStatus.PENDING, None)  # as ``add`` wrote the order row
        else:
            await self.session.execute(
                _UPDATE_SAGA, {"b_order_id": order_id, **{f"b_{k}": v for k, v in values.items()}}
            )
            shown = self._shown.get(order_id)
        if timeline:
            await self.session.execute(_INSERT_STEPS, [_step_row(order_id, e) for e in timeline])
        now_shown = (saga.order_status, saga.data.total_cents)
        self._shown[order_id] = now_shown
        if shown != now_shown:
            await self.session.execute(
                _UPDATE_ORDER,
                {
                    "b_order_id": order_id,
                    "b_status": saga.order_status.value,
                    "b_reason": saga.order_reason,
                    "b_total_cents": saga.data.total_cents,
                    "b_updated_at": now,
                },
            )

    def placed_at(self, order_id: str) -> datetime | None:
        """When the order of a saga loaded in this transaction was placed (its saga's start)."""
        return self._placed_at.get(order_id)

    async def sagas_by_state(self) -> dict[str, int]:
        """How many sagas are in each state (for the metrics)."""
        result = await self.session.execute(_SAGAS_BY_STATE)
        return {state: int(count) for state, count in result.all()}

    async def due_sagas(self, now: datetime, limit: int) -> list[str]:
        """Unfinished sagas whose step deadline has passed (skipping ones others hold)."""
        result = await self.session.execute(_DUE_SAGAS, {"now": now, "limit": limit})
        return list(result.scalars())


def _step_row(order_id: str, entry: TimelineEntry) -> dict[str, Any]:
    message = entry.message
    return {
        "order_id": order_id,
        "step": entry.step,
        "outcome": entry.outcome,
        "detail": entry.detail,
        "at": entry.at,
        "message_id": message.id if message else None,
        "message_type": message.type if message else None,
        "direction": message.direction.value if message else None,
    }


def _to_domain(row: Any, lines: list[OrderLine]) -> Order:
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
