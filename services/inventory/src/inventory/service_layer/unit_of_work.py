"""One transaction of inventory: its repositories, and ``emit`` into its outbox."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

from chassis import Envelope, Outbox, Outgoing, UnitOfWork
from chassis.unit_of_work import no_outgoing
from sqlalchemy.ext.asyncio import AsyncSession

from inventory.adapters.repository import ProductRepository, ReservationRepository


class InventoryUnitOfWork(UnitOfWork):
    """The products, the reservations and ``emit`` (the outbox), all in one transaction."""

    def __init__(
        self,
        session: AsyncSession,
        outbox: Outbox,
        source: str,
        *,
        outgoing: Outgoing = no_outgoing,
        replying_to: Envelope | None = None,
    ) -> None:
        super().__init__(session, outbox, source, outgoing=outgoing, replying_to=replying_to)
        self.products = ProductRepository(session)
        self.reservations = ReservationRepository(session)


UnitOfWorkFactory = Callable[[], AbstractAsyncContextManager[InventoryUnitOfWork]]
"""Opens a new transaction (committed when the block ends without error): what routes get."""
