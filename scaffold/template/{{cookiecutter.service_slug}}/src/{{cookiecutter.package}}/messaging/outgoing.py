"""The messages {{ cookiecutter.service_slug }} sends.

The one place where a domain event becomes a message: the composition root hands
:func:`message_for` to every unit of work, and a handler's ``uow.emit(events)`` calls it for each
event, so handlers never name a contract or build an envelope.
"""

from chassis import OutgoingMessage

from {{ cookiecutter.package }}.domain import ItemCreated
from {{ cookiecutter.package }}.messaging import contracts


def message_for(event: object) -> OutgoingMessage:
    """The contract and payload that announce ``event``; TypeError for one nothing announces."""
    match event:
        case ItemCreated():
            return contracts.ITEM_CREATED, contracts.ItemCreatedV1(
                item_id=event.item_id, name=event.name
            )
    raise TypeError(f"no contract announces {event!r}")
