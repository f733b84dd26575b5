"""What orders is asked to do (placing an order), and what its saga asks the participants to do.

Commands are imperative and carry all the data whoever handles them needs: the saga's commands
become the messages to inventory and payments as they are (``messaging/outgoing.py``), so
nothing has to read the order again to send them.
"""

from __future__ import annotations

from dataclasses import dataclass

from orders.domain.model import OrderLine


@dataclass(frozen=True)
class PlaceOrder:
    """A customer asks for ``lines``, paid with ``payment_token``."""

    customer_id: str
    lines: list[OrderLine]
    payment_token: str
    idempotency_key: str | None = None
    # The W3C trace id of the request, when tracing is on: kept with the order for operators.
    trace_id: str | None = None


# --- the saga's commands to its participants ---------------------------------------------------
@dataclass(frozen=True)
class ReserveStock:
    """inventory: hold every line of the order, or none."""

    order_id: str
    lines: tuple[OrderLine, ...]

    def __post_init__(self) -> None:
        # Only a saga that has its order's lines may reserve (a saga loaded to continue does
        # not read them): never ask inventory to reserve nothing.
        if not self.lines:
            raise ValueError(f"a reservation for order {self.order_id} needs its lines")


@dataclass(frozen=True)
class CommitStock:
    """inventory: the reserved units are sold."""

    order_id: str


@dataclass(frozen=True)
class ReleaseStock:
    """inventory: give back whatever is held for the order (a compensation)."""

    order_id: str
    reason: str


@dataclass(frozen=True)
class ChargePayment:
    """payments: take ``amount_cents`` with the order's payment token."""

    order_id: str
    amount_cents: int
    payment_token: str


@dataclass(frozen=True)
class RefundPayment:
    """payments: give back whatever was taken for the order (a compensation)."""

    order_id: str
    reason: str


SagaCommand = ReserveStock | CommitStock | ReleaseStock | ChargePayment | RefundPayment
