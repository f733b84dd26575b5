"""One transaction of inventory: its repositories and its outbox."""

from chassis import Outbox, UnitOfWork
from sqlalchemy.ext.asyncio import AsyncSession

from inventory.adapters.repository import ProductRepository, ReservationRepository


class InventoryUnitOfWork(UnitOfWork):
    """The products, the reservations and ``send`` (the outbox), all in one transaction."""

    def __init__(self, session: AsyncSession, outbox: Outbox) -> None:
        super().__init__(session, outbox, source="inventory")
        self.products = ProductRepository(session)
        self.reservations = ReservationRepository(session)
