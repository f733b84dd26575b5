"""One transaction of {{ cookiecutter.service_slug }}: its repositories and its outbox."""

from chassis import Outbox, UnitOfWork
from sqlalchemy.ext.asyncio import AsyncSession

from {{ cookiecutter.package }}.adapters.repository import ItemRepository


class {{ cookiecutter.class_prefix }}UnitOfWork(UnitOfWork):
    def __init__(self, session: AsyncSession, outbox: Outbox) -> None:
        super().__init__(session, outbox, source="{{ cookiecutter.service_slug }}")
        self.items = ItemRepository(session)
