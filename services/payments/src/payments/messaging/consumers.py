"""What payments consumes: the commands addressed to it, from its own stream.

Callers publish ``payments.cmd.charge`` and ``payments.cmd.refund``, which land in the PAYMENTS
stream. One durable consumer (``payments-commands``) applies each command once (the inbox) and
answers it through the outbox in the same transaction: the unit of work opened for the message
addresses the answer to the command's flow (``correlation_id``) and to the command itself
(``causation_id``).
"""

from __future__ import annotations

from collections.abc import Callable

from chassis import Clock, Incoming, Subscription, on

from payments.domain import Charge, Refund, ReplyTo, SimulatedGateway
from payments.messaging import contracts as c
from payments.service_layer import handlers
from payments.service_layer.unit_of_work import PaymentsUnitOfWork

CONSUMER_NAME = "commands"

UnitOfWorkFor = Callable[[Incoming], PaymentsUnitOfWork]
"""The unit of work that applies one incoming message (in its transaction, answering it)."""


def subscriptions(
    unit_of_work_for: UnitOfWorkFor, clock: Clock, gateway: SimulatedGateway
) -> list[Subscription]:
    """The durable consumer ``commands`` on PAYMENTS, filtering ``payments.cmd.>``."""

    async def charge(payload: c.ChargeV1, incoming: Incoming) -> None:
        command = Charge(payload.order_id, payload.amount_cents, payload.payment_token)
        envelope = incoming.envelope
        await handlers.charge(
            command,
            unit_of_work_for(incoming),
            gateway=gateway,
            # Kept with a deferred charge, whose settlement answers this command later.
            reply_to=ReplyTo(envelope.correlation_id, envelope.id),
            now=clock(),
        )

    async def refund(payload: c.RefundV1, incoming: Incoming) -> None:
        command = Refund(payload.order_id, payload.reason)
        await handlers.refund(command, unit_of_work_for(incoming), now=clock())

    return [
        Subscription.of(
            CONSUMER_NAME,
            [on(c.CHARGE, charge), on(c.REFUND, refund)],
            # Every command addressed to payments: one it does not know is parked, not skipped.
            subjects=c.COMMANDS,
        )
    ]
