"""A refund racing the settler over one pending payment: exactly one of them wins, and the
order never ends with money taken and not given back (row locks on PostgreSQL, serialized
writers on SQLite)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import pytest
from chassis import Contract, Envelope, Incoming, utcnow
from sqlalchemy import select

from payments.adapters.tables import messaging_tables
from payments.bootstrap import PaymentsService, bootstrap
from payments.config import PaymentsSettings
from payments.domain import Charge, PaymentStatus, Refund, ReplyTo, SimulatedGateway
from payments.messaging import contracts
from payments.service_layer import handlers
from payments.service_layer.settler import settle_once
from payments.service_layer.unit_of_work import PaymentsUnitOfWork

ORDERS = 20


@pytest.fixture
async def service(migrated: PaymentsSettings) -> AsyncIterator[PaymentsService]:
    """The service's database and handlers, without starting its broker or consumers."""
    service = bootstrap(migrated)
    try:
        yield service
    finally:
        await service.runtime.database.dispose()


@asynccontextmanager
async def _applying(
    service: PaymentsService, contract: Contract[Any], order_id: str
) -> AsyncIterator[tuple[PaymentsUnitOfWork, Envelope]]:
    """A unit of work applying a command of ``contract`` for the order, as the consumer opens
    one for each message (so what it emits answers that command)."""
    command = Envelope(type=contract.type, source="orders", correlation_id=order_id)
    async with service.runtime.database.transaction() as session:
        yield service.unit_of_work_for(Incoming(command, session)), command


async def _pending_and_due(service: PaymentsService, order_id: str) -> None:
    gateway = SimulatedGateway(slow_delay=timedelta(0))
    async with _applying(service, contracts.CHARGE, order_id) as (uow, command):
        await handlers.charge(
            Charge(order_id, 100, "tok_slow"),
            uow,
            gateway=gateway,
            reply_to=ReplyTo(order_id, command.id),
            now=utcnow() - timedelta(seconds=1),
        )


async def _refund(service: PaymentsService, order_id: str) -> None:
    async with _applying(service, contracts.REFUND, order_id) as (uow, _command):
        await handlers.refund(Refund(order_id, "payment timed out"), uow, now=utcnow())


async def _replies(service: PaymentsService) -> dict[str, list[tuple[str, int]]]:
    """Each order's replies in the outbox, in order: (type, amount_cents)."""
    outbox = messaging_tables.outbox
    query = select(outbox.c.body).order_by(outbox.c.seq)
    async with service.runtime.database.transaction() as session:
        bodies = (await session.execute(query)).scalars().all()
    replies: dict[str, list[tuple[str, int]]] = {}
    for body in bodies:
        envelope = Envelope.parse(body.encode())
        reply = (envelope.type, envelope.data["amount_cents"])
        replies.setdefault(envelope.correlation_id, []).append(reply)
    return replies


async def test_a_refund_racing_the_settler_never_leaves_a_charge_unrefunded(
    service: PaymentsService,
) -> None:
    orders = [f"order-{n}" for n in range(ORDERS)]
    for order_id in orders:
        await _pending_and_due(service, order_id)

    await asyncio.gather(
        settle_once(service.unit_of_work, utcnow()),
        *(_refund(service, order_id) for order_id in orders),
        settle_once(service.unit_of_work, utcnow()),
    )

    async with service.unit_of_work() as uow:
        payments = await uow.payments.list(status=None, limit=100, offset=0)
    outcomes = {(payment.status, payment.refunded_cents) for payment in payments}
    assert outcomes <= {(PaymentStatus.CANCELLED, 0), (PaymentStatus.REFUNDED, 100)}
    replies = await _replies(service)
    cancelled = [("payments.refunded", 0)]
    settled_then_refunded = [("payments.charged", 100), ("payments.refunded", 100)]
    for order_id in orders:
        assert replies[order_id] in (cancelled, settled_then_refunded), order_id
