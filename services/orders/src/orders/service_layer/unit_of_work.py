"""One transaction of orders: its repository and its outbox."""

from datetime import timedelta

from chassis import Outbox, UnitOfWork
from sqlalchemy.ext.asyncio import AsyncSession

from orders.adapters.repository import OrderRepository


class OrdersUnitOfWork(UnitOfWork):
    def __init__(self, session: AsyncSession, outbox: Outbox, step_timeout: timedelta) -> None:
        super().__init__(session, outbox, source="orders")
        self.orders = OrderRepository(session, step_timeout)
