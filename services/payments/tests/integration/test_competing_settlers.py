"""Two replicas of payments settle the same due payments at once: each is settled once.

Each replica is its own engine on the one PostgreSQL database. The settler claims due PENDING
payments ``FOR UPDATE SKIP LOCKED`` and settles them in that transaction, so a payment one
replica holds is skipped by the other, and one it has settled is no longer PENDING (ADR 0020).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from chassis import Envelope, Incoming, utcnow
from sqlalchemy import select

from payments.adapters.tables import messaging_tables
from payments.bootstrap import PaymentsService, bootstrap
from payments.config import PaymentsSettings
from payments.domain import Charge, PaymentStatus, ReplyTo, SimulatedGateway
from payments.messaging import contracts
from payments.service_layer import handlers
from payments.service_layer.settler import settle_once

pytestmark = pytest.mark.postgres

PAYMENTS = 60
ROUNDS = 3


@pytest.fixture
async def replicas(migrated: PaymentsSettings) -> AsyncIterator[list[PaymentsService]]:
    """Two replicas' databases and units of work; nothing started (the test runs the settlers)."""
    services = [bootstrap(migrated), bootstrap(migrated)]
    yield services
    for service in services:
        await service.runtime.database.dispose()


async def _pending_and_due(service: PaymentsService, order_id: str) -> None:
    """A slow charge accepted a minute ago: PENDING, its settlement time passed."""
    command = Envelope(type=contracts.CHARGE.type, source="orders", correlation_id=order_id)
    async with service.runtime.database.transaction() as session:
        await handlers.charge(
            Charge(order_id, 100, "tok_slow"),
            service.unit_of_work_for(Incoming(command, session)),
            gateway=SimulatedGateway(slow_delay=timedelta(0)),
            reply_to=ReplyTo(order_id, command.id),
            now=utcnow() - timedelta(minutes=1),
        )


async def _replies(service: PaymentsService) -> dict[str, Counter[str]]:
    """Each order's replies in the outbox, by type."""
    outbox = messaging_tables.outbox
    async with service.runtime.database.transaction() as session:
        rows = (await session.execute(select(outbox.c.aggregate_key, outbox.c.message_type))).all()
    replies: dict[str, Counter[str]] = {}
    for order_id, message_type in rows:
        replies.setdefault(order_id, Counter())[message_type] += 1
    return replies


async def test_two_settlers_settle_each_due_payment_once(
    replicas: list[PaymentsService],
) -> None:
    orders = [f"order-{n}" for n in range(PAYMENTS)]
    for order_id in orders:
        await _pending_and_due(replicas[0], order_id)
    now = utcnow()

    async def settler(service: PaymentsService) -> int:
        # A small batch, so that the two replicas' rounds interleave over the due payments.
        return sum([await settle_once(service.unit_of_work, now, batch=5) for _ in range(ROUNDS)])

    settled = await asyncio.gather(*(settler(service) for service in replicas))

    assert sum(settled) == PAYMENTS
    async with replicas[0].unit_of_work() as uow:
        payments = await uow.payments.list(status=None, limit=PAYMENTS + 1, offset=0)
    assert Counter(payment.status for payment in payments) == {PaymentStatus.CHARGED: PAYMENTS}
    replies = await _replies(replicas[0])
    assert replies == {order_id: Counter({contracts.CHARGED.type: 1}) for order_id in orders}
