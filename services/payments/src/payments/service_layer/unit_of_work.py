"""One transaction of payments: its repository and its outbox."""

from chassis import Outbox, UnitOfWork
from sqlalchemy.ext.asyncio import AsyncSession

from payments.adapters.repository import PaymentRepository


class PaymentsUnitOfWork(UnitOfWork):
    """A transaction with the payments repository; ``send`` writes replies to the outbox."""

    def __init__(self, session: AsyncSession, outbox: Outbox) -> None:
        super().__init__(session, outbox, source="payments")
        self.payments = PaymentRepository(session)
