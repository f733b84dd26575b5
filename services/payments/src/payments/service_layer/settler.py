"""The settler: settles slow (``tok_slow``) payments once the gateway's delay has passed.

A slow charge is stored PENDING and its command acknowledged at once, so the consumer never
waits for the gateway; this loop, started with the service, turns due payments into CHARGED
and answers ``payments.charged`` through the outbox, in one transaction per round.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

from chassis.envelope import utcnow

from payments.service_layer import handlers
from payments.service_layer.unit_of_work import PaymentsUnitOfWork

log = logging.getLogger(__name__)

UnitOfWorkFactory = Callable[[], AbstractAsyncContextManager[PaymentsUnitOfWork]]

BATCH = 100


async def settle_once(unit_of_work: UnitOfWorkFactory, *, batch: int = BATCH) -> int:
    """One round: settle what is due now; returns how many payments were settled."""
    async with unit_of_work() as uow:
        return await handlers.settle_due(uow, now=utcnow(), limit=batch)


async def run_settler(unit_of_work: UnitOfWorkFactory, *, interval_s: float) -> None:
    """Settle due payments every ``interval_s`` seconds until cancelled."""
    this = asyncio.current_task()
    while True:
        # Python 3.11's wait_for (used inside drivers) can swallow a cancellation that races a
        # result; the task still counts it, so stop on it rather than loop on for ever.
        if this is not None and this.cancelling():
            raise asyncio.CancelledError
        try:
            settled = await settle_once(unit_of_work)
        except Exception as error:
            # The database may be briefly unreachable; the next round tries again.
            log.warning("settler: round failed: %r", error)
            settled = 0
        if settled:
            log.info("settler: settled %d payment(s)", settled)
        if settled < BATCH:
            await asyncio.sleep(interval_s)
