"""Two replicas of orders sweep the same expired sagas at once: each saga times out once.

Each replica is its own engine on the one PostgreSQL database. The sweepers' list of due sagas
is claimed ``FOR UPDATE SKIP LOCKED``, and each saga is then loaded under its row lock and checked
again for being overdue, so a saga the other replica has just moved on is left alone (ADR 0020).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from chassis import utcnow
from sqlalchemy import select

from orders.adapters.tables import messaging_tables
from orders.bootstrap import OrdersService, bootstrap
from orders.config import OrdersSettings
from orders.domain import OrderLine, PaymentCharged, PlaceOrder, StockReserved
from orders.messaging import contracts as c
from orders.service_layer.handlers import place_order
from orders.service_layer.saga_runner import apply_event
from orders.service_layer.sweeper import time_out_due_sagas

pytestmark = pytest.mark.postgres

SAGAS = 40
ROUNDS = 3


@pytest.fixture
async def replicas(migrated: OrdersSettings) -> AsyncIterator[list[OrdersService]]:
    """Two replicas' databases and units of work; nothing started (the test runs the sweeps)."""
    services = [bootstrap(migrated), bootstrap(migrated)]
    yield services
    for service in services:
        await service.runtime.database.dispose()


async def _place(service: OrdersService, count: int, *, past_the_pivot: bool) -> list[str]:
    """``count`` checkouts whose step deadline passed a minute ago: reserving stock, or (past
    the pivot) committing it."""
    started = utcnow() - timedelta(minutes=10)
    order_ids = []
    for n in range(count):
        async with service.unit_of_work() as uow:
            command = PlaceOrder(f"c-{n}", [OrderLine("sku-lamp", 1)], "tok_ok")
            order, _ = await place_order(command, uow, now=started)
        if past_the_pivot:
            for reply in (StockReserved(1000), PaymentCharged(1000)):
                async with service.unit_of_work() as uow:
                    await apply_event(order.id, reply, uow, now=started)
        order_ids.append(order.id)
    return order_ids


async def _sweep_together(replicas: list[OrdersService]) -> None:
    """Every replica sweeps, several rounds, all at the same moment."""
    now = utcnow()

    async def sweeper(service: OrdersService) -> None:
        for _ in range(ROUNDS):
            await time_out_due_sagas(service.unit_of_work, now=now, limit=SAGAS)

    await asyncio.gather(*(sweeper(service) for service in replicas))


async def _commands(service: OrdersService) -> dict[str, Counter[str]]:
    """Each order's commands and announcements in the outbox, by type."""
    outbox = messaging_tables.outbox
    query = select(outbox.c.aggregate_key, outbox.c.message_type)
    async with service.unit_of_work() as uow:
        rows = (await uow.session.execute(query)).all()
    sent: dict[str, Counter[str]] = {}
    for order_id, message_type in rows:
        sent.setdefault(order_id, Counter())[message_type] += 1
    return sent


async def _timeline(service: OrdersService, order_id: str) -> Counter[tuple[str, str]]:
    async with service.unit_of_work() as uow:
        order = await uow.orders.get(order_id)
    assert order is not None
    return Counter((entry.step, entry.outcome) for entry in order.timeline)


async def test_two_sweepers_time_out_each_expired_saga_once(
    replicas: list[OrdersService],
) -> None:
    order_ids = await _place(replicas[0], SAGAS, past_the_pivot=False)

    await _sweep_together(replicas)

    sent = await _commands(replicas[0])
    for order_id in order_ids:
        # One reservation, and one release for its one timeout: no duplicate compensation.
        assert sent[order_id] == Counter({c.RESERVE_STOCK.type: 1, c.RELEASE_STOCK.type: 1})
        timeline = await _timeline(replicas[0], order_id)
        assert timeline[("reserve stock", "timed out")] == 1, timeline
        assert timeline[("release stock", "started")] == 1, timeline


async def test_two_sweepers_retry_each_overdue_step_once(replicas: list[OrdersService]) -> None:
    """Past the pivot a passed deadline sends the command again: once per deadline, not once
    per replica."""
    order_ids = await _place(replicas[0], SAGAS, past_the_pivot=True)

    await _sweep_together(replicas)

    sent = await _commands(replicas[0])
    for order_id in order_ids:
        assert sent[order_id][c.COMMIT_STOCK.type] == 2, sent[order_id]  # the first and one retry
        timeline = await _timeline(replicas[0], order_id)
        assert timeline[("commit stock", "retried")] == 1, timeline


async def test_a_reply_racing_the_other_replicas_sweeper_moves_each_saga_once(
    replicas: list[OrdersService],
) -> None:
    """The reservation arrives at one replica as the other's sweeper finds the step overdue:
    the saga's row lock lets one of them decide, and the other then sees a saga that moved."""
    order_ids = await _place(replicas[0], SAGAS, past_the_pivot=False)
    now = utcnow()

    async def replies() -> None:
        for order_id in order_ids:
            async with replicas[0].unit_of_work() as uow:
                await apply_event(order_id, StockReserved(1000), uow, now=now)

    await asyncio.gather(replies(), _sweep_together(replicas[1:]))

    sent = await _commands(replicas[0])
    for order_id in order_ids:
        # Either the reservation won (charge next) or the timeout did (release): never both.
        assert sent[order_id][c.RESERVE_STOCK.type] == 1
        assert sent[order_id][c.CHARGE.type] + sent[order_id][c.RELEASE_STOCK.type] == 1, sent
    timelines = [await _timeline(replicas[0], order_id) for order_id in order_ids]
    assert all(t[("reserve stock", "timed out")] <= 1 for t in timelines)
