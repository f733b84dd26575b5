"""The message types the checkout saga's commands and replies travel as, read off the mappings
that send and receive them (``outgoing.message_for``, ``consumers.REPLY_EVENTS``), never
written again by hand: what the operations API shows of the definition and of each step."""

from __future__ import annotations

from orders.domain import CheckoutData, OrderLine
from orders.domain.saga.progress import MessageTypes
from orders.domain.saga.steps import SagaDefinition
from orders.messaging.consumers import REPLY_EVENTS
from orders.messaging.outgoing import message_for

# Any data makes a step's command; only its type matters here (a reservation needs a line).
_SAMPLE = CheckoutData("order", "token", (OrderLine("sku", 1),), total_cents=0)


def message_types(definition: SagaDefinition[CheckoutData]) -> MessageTypes:
    """The message type of each step's and compensation's command, and of each reply."""
    commands: dict[str, str] = {}
    for step in definition.steps:
        commands[step.name] = message_for(step.command(_SAMPLE))[0].type
        if step.compensation is not None:
            undo = step.compensation.command(_SAMPLE, "reason")
            commands[step.compensation.name] = message_for(undo)[0].type
    replies: dict[type, str] = {event: contract.type for contract, event in REPLY_EVENTS.items()}
    return MessageTypes(commands, replies)
