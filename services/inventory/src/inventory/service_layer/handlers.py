"""What inventory does: handlers ``(command, unit of work, now) -> event``.

The domain decides; the handlers load, apply the decision to storage, emit the answer (the unit
of work turns it into a message in the outbox) and return it. The caller (a consumer, or a
route) runs them inside one transaction, so the stock moves, the reservation rows and the answer
commit together or not at all. ``now`` is read once by that caller, from the service's clock.
"""

from __future__ import annotations

import logging
from datetime import datetime

from inventory.domain import (
    CommitStock,
    CreateProduct,
    Product,
    ProductExists,
    ProtocolViolation,
    ReleaseStock,
    Reservation,
    ReserveStock,
    StockCommitted,
    StockRejected,
    StockReleased,
    StockReserved,
    plan_reservation,
)
from inventory.service_layer.ports import StockUnitOfWork

log = logging.getLogger(__name__)

# Lost races are only possible with several instances on PostgreSQL; after this many the
# command fails and the consumer redelivers it later.
MAX_RESERVE_ATTEMPTS = 3


class StockContention(RuntimeError):
    """The stock kept changing under a reservation; the command is retried later."""


async def create_product(command: CreateProduct, uow: StockUnitOfWork) -> Product:
    """Add a product to the catalogue; raises ``ProductExists`` or ``InvalidProduct``."""
    product = Product.create(command.sku, command.name, command.price_cents, command.stock)
    if await uow.products.get(product.sku) is not None:
        raise ProductExists(product.sku)
    await uow.products.add(product)
    return product


async def reserve_stock(
    command: ReserveStock, uow: StockUnitOfWork, *, now: datetime
) -> StockReserved | StockRejected:
    """Reserve every line of the order or none; a repeated reserve changes nothing."""
    answer = await _reserve(command, uow, now)
    await uow.emit([answer])
    return answer


async def _reserve(
    command: ReserveStock, uow: StockUnitOfWork, now: datetime
) -> StockReserved | StockRejected:
    existing = await uow.reservations.get(command.order_id, for_update=True)
    if existing is not None:
        return existing.answer_reserve()
    skus = {line.sku for line in command.lines}
    for _ in range(MAX_RESERVE_ATTEMPTS):
        decision = plan_reservation(command, await uow.products.get_many(skus))
        if isinstance(decision, StockRejected):
            return decision
        if await uow.products.take(decision.lines):
            # Fails on the primary key if another instance reserved this order meanwhile;
            # the whole transaction then rolls back and the redelivery answers from its row.
            await uow.reservations.add(decision, now=now)
            return decision.reserved_event()
        # Someone took the stock between our read and our update: decide again on fresh data.
    raise StockContention(f"stock kept changing while reserving order {command.order_id}")


async def release_stock(
    command: ReleaseStock, uow: StockUnitOfWork, *, now: datetime
) -> StockReleased | None:
    """Release the order's reservation (returning its stock), or leave a tombstone when there
    is none yet; a repeated release answers again. None (nothing emitted) for a committed
    reservation."""
    reservation = await uow.reservations.get(command.order_id, for_update=True)
    if reservation is None:
        tombstone = Reservation.tombstone(command.order_id, command.reason)
        await uow.reservations.add(tombstone, now=now)
        answer = StockReleased(order_id=command.order_id)
    else:
        try:
            answer, returned = reservation.release(command.reason)
        except ProtocolViolation as violation:
            log.error("ignored: %s", violation)
            return None
        if returned:
            await uow.products.give_back(returned)
            await uow.reservations.save(reservation, now=now)
    await uow.emit([answer])
    return answer


async def commit_stock(
    command: CommitStock, uow: StockUnitOfWork, *, now: datetime
) -> StockCommitted | None:
    """Sell the order's reserved stock; a repeated commit answers again. None (logged, nothing
    emitted) when there is nothing to commit: the saga never commits a released or unknown
    reservation."""
    reservation = await uow.reservations.get(command.order_id, for_update=True)
    if reservation is None:
        log.error("ignored: commit of order %s, which has no reservation", command.order_id)
        return None
    try:
        answer, sold = reservation.commit()
    except ProtocolViolation as violation:
        log.error("ignored: %s", violation)
        return None
    if sold:
        await uow.products.sell(sold)
        await uow.reservations.save(reservation, now=now)
    await uow.emit([answer])
    return answer
