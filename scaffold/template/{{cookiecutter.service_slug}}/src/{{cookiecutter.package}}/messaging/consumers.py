"""What {{ cookiecutter.service_slug }} consumes.

Each consumer applies a message once (the inbox) and then acks. The example consumer reads the
service's own ``item-created`` events; a real one usually reads another service's events, from
that service's stream.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chassis import Envelope, Route, Subscription
from sqlalchemy.ext.asyncio import AsyncSession

from {{ cookiecutter.package }}.messaging import contracts
from {{ cookiecutter.package }}.service_layer import handlers

if TYPE_CHECKING:
    from {{ cookiecutter.package }}.bootstrap import {{ cookiecutter.class_prefix }}Service


def subscriptions(service: {{ cookiecutter.class_prefix }}Service) -> list[Subscription]:
    async def on_item_created(envelope: Envelope, session: AsyncSession) -> None:
        event = contracts.ITEM_CREATED.parse(envelope)
        await handlers.mark_announced(event.item_id, service.unit_of_work_in(session))

    return [
        Subscription.of(
            "item-announcer",
            stream="{{ cookiecutter.stream }}",
            subjects=[contracts.ITEM_CREATED.subject],
            routes=[
                Route(
                    contracts.ITEM_CREATED.type,
                    on_item_created,
                    frozenset({contracts.ITEM_CREATED.version}),
                )
            ],
        )
    ]
