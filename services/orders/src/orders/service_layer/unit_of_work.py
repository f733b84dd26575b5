"""One transaction of orders: its repository, and ``emit`` into its outbox."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import timedelta

from chassis import Envelope, Outbox, Outgoing, UnitOfWork
from chassis.unit_of_work import no_outgoing
from sqlalchemy.ext.asyncio import AsyncSession

from orders.adapters.repository import OrderRepository
from orders.adapters.saga_queries import SagaQueries


class OrdersUnitOfWork(UnitOfWork):
    """The orders (and their sagas), what operators read of the sagas, and ``emit`` (the
    outbox), all in one transaction."""

    def __init__(
        self,
        session: AsyncSession,
        outbox: Outbox,
        step_timeout: timedelta,
        *,
        outgoing: Outgoing = no_outgoing,
        replying_to: Envelope | None = None,
        saga_finished: SagaFinished | None = None,
    ) -> None:
        super().__init__(session, outbox, "orders", outgoing=outgoing, replying_to=replying_to)
        self.orders = OrderRepository(session, step_timeout)
        self.sagas = SagaQueries(session)
        # Told (outcome, seconds since the order was placed) once a saga's finish commits.
        self.saga_finished: SagaFinished = saga_finished or _ignore


SagaFinished = Callable[[str, float], None]


def _ignore(_outcome: str, _seconds: float) -> None:
    """No one listens (a test's unit of work, a script)."""


UnitOfWorkFactory = Callable[[], AbstractAsyncContextManager[OrdersUnitOfWork]]
"""Opens a new transaction (committed when the block ends without error): what routes and the
sweeper get."""
