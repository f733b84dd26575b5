"""Loads and stores orders, their lines, their saga and its step log.

The only module that knows how the domain maps to rows. Loading a saga for a change locks its
row on PostgreSQL (``FOR UPDATE``), so a reply, the sweeper and a retry never interleave on one
saga; SQLite's single writer gives the same guarantee.

The saga's hot path (placing an order, loading and storing a saga, its timeline) uses Core
statements built once, not the ORM: each saga step runs it, and the ORM's unit of work and
statement building were most of this service's CPU (docs/benchmarks.md). Loading a saga reads,
in the same statement, what its steps need of the order (the status and total the order shows,
its payment token), so a step costs no extra reads. So does the read of one order; only the API's
listing keeps the ORM.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, bindparam, insert, select, update
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

_ORDERS: Table = OrderRow.__table__  # type: ignore[attr-defined]
_LINES: Table = OrderLineRow.__table__  # type: ignore[attr-defined]
_SAGAS: Table = SagaRow.__table__  # type: ignore[attr-defined]
_STEPS: Table = SagaStepRow.__table__  # type: ignore[attr-defined]

_INSERT_ORDER = insert(_ORDERS)
_INSERT_LINES = insert(_LINES)
_INSERT_SAGA = insert(_SAGAS)
_INSERT_STEPS = insert(_STEPS)
_SELECT_ORDER = select(_ORDERS).where(_ORDERS.c.id == bindparam("order_id"))
_SELECT_LINES = select(_LINES.c.order_id, _LINES.c.sku, _LINES.c.quantity).where(
    _LINES.c.order_id.in_(bindparam("order_ids", expanding=True))
)
_SELECT_TIMELINE = (
    select(_STEPS.c.step, _STEPS.c.outcome, _STEPS.c.detail, _STEPS.c.at)
    .where(_STEPS.c.order_id == bindparam("order_id"))
    .order_by(_STEPS.c.id)
)
# The saga with what the saga's steps need of its order: the status and total it shows (to
# update it only when they change) and the payment token (for the charge). Only the saga row
# is locked.
_LOAD_SAGA = (
    select(
        _SAGAS,
        _ORDERS.c.status.label("order_status"),
        _ORDERS.c.total_cents.label("order_total_cents"),
        _ORDERS.c.payment_token,
    )
    .join(_ORDERS, _ORDERS.c.id == _SAGAS.c.order_id)
    .where(_SAGAS.c.order_id == bindparam("order_id"))
    .with_for_update(of=_SAGAS)
)
_SELECT_PAYMENT_TOKEN = select(_ORDERS.c.payment_token).where(_ORDERS.c.id == bindparam("order_id"))
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


class OrderRepository:
    def __init__(self, session: AsyncSession, step_timeout: timedelta) -> None:
        self.session = session
        self.step_timeout = step_timeout
        # What each order row shows (status, total) as this transaction read or wrote it: the
        # row is updated only when that changes.
        self._shown: dict[str, tuple[OrderStatus, int | None]] = {}
        self._payment_tokens: dict[str, str] = {}

    async def add(
        self, order: Order, *, idempotency_key: str | None, fingerprint: str | None
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
        query = select(OrderRow.id, OrderRow.request_fingerprint).where(
            OrderRow.idempotency_key == key
        )
        row = (await self.session.execute(query)).first()
        return (row[0], row[1]) if row else None

    async def get(self, order_id: str, *, with_timeline: bool = True) -> Order | None:
        row = (await self.session.execute(_SELECT_ORDER, {"order_id": order_id})).first()
        if row is None:
            return None
        lines = await self._lines([order_id])
        order = _to_domain(row, lines.get(order_id, []))
        if with_timeline:
            steps = await self.session.execute(_SELECT_TIMELINE, {"order_id": order_id})
            order.timeline = [TimelineEntry(s.step, s.outcome, s.detail, s.at) for s in steps]
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
        result = await self.session.execute(_SELECT_LINES, {"order_ids": list(order_ids)})
        lines: dict[str, list[OrderLine]] = {}
        for row in result:
            lines.setdefault(row.order_id, []).append(OrderLine(row.sku, row.quantity))
        return lines

    # --- the saga -------------------------------------------------------------------------
    def new_saga(self, order_id: str) -> CheckoutSaga:
        return CheckoutSaga(order_id, self.step_timeout)

    async def load_saga(self, order_id: str) -> CheckoutSaga | None:
        """The saga of ``order_id``, locked for this transaction."""
        row = (await self.session.execute(_LOAD_SAGA, {"order_id": order_id})).first()
        if row is None:
            return None
        self._shown[order_id] = (OrderStatus(row.order_status), row.order_total_cents)
        self._payment_tokens[order_id] = row.payment_token
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
        values = {
            "state": saga.state.value,
            "deadline_at": saga.deadline_at,
            "attempts": saga.attempts,
            "total_cents": saga.total_cents,
            "reason": saga.reason,
        }
        shown: tuple[OrderStatus, int | None] | None
        if new:
            await self.session.execute(_INSERT_SAGA, {"order_id": saga.order_id, **values})
            # A new order row shows PENDING, without a total (see ``add``).
            shown = (OrderStatus.PENDING, None)
        else:
            await self.session.execute(
                _UPDATE_SAGA,
                {"b_order_id": saga.order_id, **{f"b_{k}": v for k, v in values.items()}},
            )
            shown = self._shown.get(saga.order_id)
        if steps:
            await self.session.execute(
                _INSERT_STEPS,
                [
                    {"order_id": saga.order_id, "step": s.step, "outcome": s.outcome,
                     "detail": s.detail, "at": now}
                    for s in steps
                ],
            )  # fmt: skip
        status = _order_status(saga.state)
        self._shown[saga.order_id] = (status, saga.total_cents)
        if shown != (status, saga.total_cents):
            # The order shows only its total and its outcome (the reason comes with REJECTED).
            await self.session.execute(
                _UPDATE_ORDER,
                {
                    "b_order_id": saga.order_id,
                    "b_status": status.value,
                    "b_reason": saga.reason if saga.state is SagaState.REJECTED else None,
                    "b_total_cents": saga.total_cents,
                    "b_updated_at": now,
                },
            )  # fmt: skip

    async def payment_token(self, order_id: str) -> str:
        """The token ``order_id`` is paid with (read with its saga, when that was loaded)."""
        token = self._payment_tokens.get(order_id)
        if token is None:
            result = await self.session.execute(_SELECT_PAYMENT_TOKEN, {"order_id": order_id})
            token = self._payment_tokens[order_id] = result.scalar_one()
        return token

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


def _order_status(state: SagaState) -> OrderStatus:
    """What the order shows for its saga's state: confirmed from the pivot on (the charge)."""
    if state.order_confirmed:
        return OrderStatus.CONFIRMED
    return OrderStatus.REJECTED if state is SagaState.REJECTED else OrderStatus.PENDING


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
