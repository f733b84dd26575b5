"""What {{ cookiecutter.service_slug }} consumes.

Each consumer applies a message once (the inbox) and then acks. The example consumer reads the
service's own ``item-created`` events; a real one usually reads another service's events. Its
contract names the subject, and so the stream: nothing here repeats either.
"""

from collections.abc import Callable

from chassis import Clock, Incoming, Subscription, on

from {{ cookiecutter.package }}.domain import MarkItemAnnounced
from {{ cookiecutter.package }}.messaging import contracts
from {{ cookiecutter.package }}.service_layer import handlers
from {{ cookiecutter.package }}.service_layer.unit_of_work import {{ cookiecutter.class_prefix }}UnitOfWork

UnitOfWorkFor = Callable[[Incoming], {{ cookiecutter.class_prefix }}UnitOfWork]
"""The unit of work in the transaction a message is applied in, answering in its conversation."""


def subscriptions(unit_of_work_for: UnitOfWorkFor, clock: Clock) -> list[Subscription]:
    """The durable consumers of this service (started with its runtime)."""

    async def on_item_created(payload: contracts.ItemCreatedV1, incoming: Incoming) -> None:
        await handlers.mark_announced(
            MarkItemAnnounced(item_id=payload.item_id), unit_of_work_for(incoming), now=clock()
        )

    return [Subscription.of("item-announcer", [on(contracts.ITEM_CREATED, on_item_created)])]
