"""One transaction of payments: its repository, and ``emit`` into its outbox."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

from chassis import Envelope, Outbox, Outgoing, UnitOfWork
from chassis.unit_of_work import no_outgoing
from sqlalchemy.ext.asyncio import AsyncSession

from payments.adapters.repository import PaymentRepository


class PaymentsUnitOfWork(UnitOfWork):
    """A transaction with the payments repository; ``emit`` writes replies to the outbox."""

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
        self.payments = PaymentRepository(session)


UnitOfWorkFactory = Callable[[], AbstractAsyncContextManager[PaymentsUnitOfWork]]
"""Opens a new transaction (committed when the block ends without error): what routes and the
settler get."""
