"""The operations API of orders: the checkout sagas as operators (and the saga console) see
them. Read only; each docstring becomes the endpoint's OpenAPI text.

Every answer is bounded: a page holds at most ``MAX_LIMIT`` sagas and is keyset-paged, and the
totals beside it are a fixed handful of counts, so no request reads without limit.

It is for operators only: every route needs a token with the ``admin`` scope (ADR 0026), since a
saga shows any customer's order.
"""

from __future__ import annotations

from typing import Annotated

from chassis import NotFound
from chassis.auth import ADMIN_SCOPE
from chassis.auth.http import auth_responses, require_scope
from fastapi import APIRouter, Depends, Query

from orders.api import cursor
from orders.api.deps import ClockDep, SagaTypesDep, UnitOfWorkDep
from orders.api.operation_schemas import SagaDefinitionOut, SagaDetail, SagaPage
from orders.domain import CHECKOUT
from orders.domain.saga.overview import SagaFilter
from orders.domain.saga.progress import progress_of

router = APIRouter(
    prefix="/operations",
    tags=["operations"],
    dependencies=[Depends(require_scope(ADMIN_SCOPE))],
    responses=auth_responses(scoped=True),
)
MAX_LIMIT = 200


@router.get("/sagas", response_model=SagaPage)
async def list_sagas(
    unit_of_work: UnitOfWorkDep,
    clock: ClockDep,
    only: Annotated[SagaFilter | None, Query(alias="filter")] = None,
    reason: Annotated[str | None, Query(max_length=500)] = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
    next_page: Annotated[
        str | None,
        Query(alias="cursor", pattern=cursor.PATTERN, max_length=cursor.MAX_LENGTH),
    ] = None,
) -> SagaPage:
    """Checkout sagas, newest first (the order's placing time, then its id), a page at a time.

    ``filter``: ``running`` (not finished), ``stuck`` (running, its step deadline past),
    ``confirmed`` or ``rejected`` (the order's status). ``reason``: the exact rejection reason.
    ``q``: an order id or a customer id (exact). An empty ``reason`` or ``q`` is no filter.
    Pass the page's ``next_cursor`` as ``cursor`` for the next page; it is null on the last.
    ``counts``, ``states`` and ``rejection_reasons`` are over every saga, whatever the filter.
    """
    after = cursor.decode(next_page) if next_page else None
    now = clock()
    async with unit_of_work() as uow:
        # One more than asked tells whether a next page exists.
        found = await uow.sagas.page(
            now=now, limit=limit + 1, only=only, reason=reason or None, q=q or None, after=after
        )
        totals = await uow.sagas.totals(now)
    items = found[:limit]
    next_cursor = cursor.encode(items[-1].key) if len(found) > limit else None
    return SagaPage.of(items, next_cursor, totals)


@router.get("/sagas/{order_id}", response_model=SagaDetail)
async def get_saga(
    order_id: str, unit_of_work: UnitOfWorkDep, clock: ClockDep, saga_types: SagaTypesDep
) -> SagaDetail:
    """One checkout saga in full: its order's lines and trace id, each step of the definition
    (reached or not) and each compensation that ran, with status, attempts and duration, its
    timeline, and every message it sent (commands, its outcome) and received (replies)."""
    async with unit_of_work() as uow:
        record = await uow.sagas.record(order_id, clock())
    if record is None:
        raise NotFound(f"no saga for order {order_id}")
    progress = progress_of(CHECKOUT, record.timeline, saga_types)
    return SagaDetail.of_record(record, progress.steps, progress.compensations)


@router.get("/saga-definition", response_model=SagaDefinitionOut)
async def saga_definition(saga_types: SagaTypesDep) -> SagaDefinitionOut:
    """The checkout saga as declared (``CHECKOUT``), for a diagram: each step's participant,
    state, command and replies (as message types), its deadline's rule, the pivot, and the
    compensation that undoes it."""
    return SagaDefinitionOut.of(CHECKOUT, saga_types)
