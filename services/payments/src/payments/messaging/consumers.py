"""What payments consumes: the commands addressed to it, from its own stream.

Callers publish ``payments.cmd.charge`` and ``payments.cmd.refund``, which land in the PAYMENTS
stream. One durable consumer applies each command once (the inbox) and answers it through the
outbox in the same transaction, addressed to the command's flow (``correlation_id``) and to the
command itself (``causation_id``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chassis import Envelope, Route, Subscription
from chassis.envelope import utcnow
from sqlalchemy.ext.asyncio import AsyncSession

from payments.domain import Charge, Refund, ReplyTo
from payments.messaging import contracts
from payments.service_layer import handlers

if TYPE_CHECKING:
    from payments.bootstrap import PaymentsService


def _reply_to(envelope: Envelope) -> ReplyTo:
    return ReplyTo(correlation_id=envelope.correlation_id, causation_id=envelope.id)


def subscriptions(service: PaymentsService) -> list[Subscription]:
    """The durable consumer ``commands`` on PAYMENTS, filtering ``payments.cmd.>``."""

    async def on_charge(envelope: Envelope, session: AsyncSession) -> None:
        body = contracts.CHARGE.parse(envelope)
        command = Charge(body.order_id, body.amount_cents, body.payment_token)
        await handlers.charge(
            command,
            service.unit_of_work_in(session),
            gateway=service.gateway,
            reply_to=_reply_to(envelope),
            now=utcnow(),
        )

    async def on_refund(envelope: Envelope, session: AsyncSession) -> None:
        body = contracts.REFUND.parse(envelope)
        await handlers.refund(
            Refund(body.order_id, body.reason),
            service.unit_of_work_in(session),
            reply_to=_reply_to(envelope),
            now=utcnow(),
        )

    return [
        Subscription.of(
            "commands",
            stream=service.settings.stream_name,
            # Every command addressed to payments: one it does not know is parked, not skipped.
            subjects=[contracts.COMMANDS],
            routes=[
                Route(contracts.CHARGE.type, on_charge, frozenset({contracts.CHARGE.version})),
                Route(contracts.REFUND.type, on_refund, frozenset({contracts.REFUND.version})),
            ],
        )
    ]
