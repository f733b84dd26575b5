"""The settler's step: settles slow (``tok_slow``) payments once the gateway's delay has passed.

A slow charge is stored PENDING and its command acknowledged at once, so the consumer never
waits for the gateway. The composition root runs :func:`settle_once` every
``settle_poll_interval_s`` (``runtime.every``, which starts, stops and retries it like every
loop): it turns due payments into CHARGED and answers ``payments.charged`` through the outbox.
"""

from __future__ import annotations

import logging
from datetime import datetime

from payments.service_layer import handlers
from payments.service_layer.unit_of_work import UnitOfWorkFactory

log = logging.getLogger(__name__)

BATCH = 100


async def settle_once(unit_of_work: UnitOfWorkFactory, now: datetime, *, batch: int = BATCH) -> int:
    """One round: settle every payment due at ``now``, one transaction per ``batch`` of them
    (a full batch means more may be waiting). Returns how many payments were settled."""
    total, settled = 0, batch
    while settled >= batch:
        async with unit_of_work() as uow:
            settled = await handlers.settle_due(uow, now=now, limit=batch)
        total += settled
    if total:
        log.info("settler: settled %d payment(s)", total)
    return total
