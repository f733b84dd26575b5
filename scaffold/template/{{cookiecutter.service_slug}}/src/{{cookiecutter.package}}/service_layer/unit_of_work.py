"""One transaction of {{ cookiecutter.service_slug }}: its repositories and its outbox."""

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

from chassis import Envelope, Outbox, Outgoing, UnitOfWork
from sqlalchemy.ext.asyncio import AsyncSession

from {{ cookiecutter.package }}.adapters.repository import ItemRepository


class {{ cookiecutter.class_prefix }}UnitOfWork(UnitOfWork):
    """What a handler is given. ``emit`` turns domain events into messages with ``outgoing``
    (the composition root passes ``messaging.outgoing.message_for``); opened for an incoming
    message (``replying_to``), what it emits answers in that message's conversation."""

    def __init__(
        self,
        session: AsyncSession,
        outbox: Outbox,
        source: str,
        *,
        outgoing: Outgoing,
        replying_to: Envelope | None = None,
    ) -> None:
        super().__init__(session, outbox, source, outgoing=outgoing, replying_to=replying_to)
        self.items = ItemRepository(session)


UnitOfWorkFactory = Callable[[], AbstractAsyncContextManager[{{ cookiecutter.class_prefix }}UnitOfWork]]
"""Opens a unit of work in a new transaction, committed when the block ends without error."""
