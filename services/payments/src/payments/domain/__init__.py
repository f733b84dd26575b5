"""The domain of payments: plain Python, no web framework, no SQL."""

from payments.domain.commands import Charge, Refund
from payments.domain.decisions import Decision
from payments.domain.events import Charged, Declined, Event, Refunded
from payments.domain.gateway import SimulatedGateway
from payments.domain.model import Payment, PaymentStatus, ReplyTo

__all__ = [
    "Charge",
    "Charged",
    "Decision",
    "Declined",
    "Event",
    "Payment",
    "PaymentStatus",
    "Refund",
    "Refunded",
    "ReplyTo",
    "SimulatedGateway",
]
