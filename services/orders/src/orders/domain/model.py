"""An order: what a customer asked for, and where it stands. Plain Python, no I/O."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from chassis.text import is_blank, storable

if TYPE_CHECKING:  # only named in a type: commands.py imports this module
    from orders.domain.commands import SagaCommand
    from orders.domain.events import Outcome

MAX_LINES = 50
MAX_QUANTITY = 10_000
# The customer id is the caller's token subject (the issuer's choice): bounded as its column is.
MAX_CUSTOMER_ID = 100


def merge_lines(lines: list[OrderLine]) -> list[OrderLine]:
    """One line per sku, in the order the skus first appear, their quantities added up.

    Merged rather than refused: JSON Schema cannot say "unique by sku" (``uniqueItems`` compares
    whole lines), so a refusal would turn down requests the OpenAPI calls valid, and "two lamps,
    then one more lamp" has only one meaning. Each line as sent keeps its bound (1 to
    ``MAX_QUANTITY``), so a merged line holds at most ``MAX_LINES * MAX_QUANTITY`` units.
    """
    quantities: dict[str, int] = {}
    for line in lines:
        quantities[line.sku] = quantities.get(line.sku, 0) + line.quantity
    return [OrderLine(sku, quantity) for sku, quantity in quantities.items()]


class InvalidOrder(ValueError):
    """The order breaks a rule of the domain."""


class OrderStatus(StrEnum):
    PENDING = "PENDING"
    CONFIRMED = "CONFIRMED"
    REJECTED = "REJECTED"


@dataclass(frozen=True)
class OrderLine:
    sku: str
    quantity: int


class Direction(StrEnum):
    """Which way a message went, seen from orders."""

    SENT = "sent"
    RECEIVED = "received"


@dataclass(frozen=True)
class MessageRef:
    """A message as it travelled: its envelope's id and type, and which way it went."""

    id: str
    type: str
    direction: Direction


@dataclass(frozen=True)
class TimelineEntry:
    """One step of the checkout as the customer can see it.

    The saga says which message an entry stands for when it decides it: ``sends`` is the command
    (or outcome) the entry sends, ``records_reply`` marks an entry about the reply being applied.
    Once the message exists the service layer fills ``message`` (its id and type), which is what
    is stored and read back.
    """

    step: str
    outcome: str
    detail: str | None
    at: datetime
    sends: SagaCommand | Outcome | None = field(default=None, compare=False, repr=False)
    records_reply: bool = field(default=False, compare=False, repr=False)
    message: MessageRef | None = None


@dataclass
class Order:
    id: str
    customer_id: str
    lines: list[OrderLine]
    payment_token: str
    created_at: datetime
    status: OrderStatus = OrderStatus.PENDING
    reason: str | None = None
    total_cents: int | None = None
    timeline: list[TimelineEntry] = field(default_factory=list)

    @classmethod
    def place(
        cls, customer_id: str, lines: list[OrderLine], payment_token: str, *, now: datetime
    ) -> Order:
        """A new PENDING order; refuses empty orders and bad quantities; a sku on several lines
        becomes one line (:func:`merge_lines`)."""
        if is_blank(customer_id):
            raise InvalidOrder("an order needs a customer_id")
        if len(customer_id) > MAX_CUSTOMER_ID:
            raise InvalidOrder(f"a customer id has at most {MAX_CUSTOMER_ID} characters")
        try:
            storable(customer_id)
        except ValueError as error:
            raise InvalidOrder(f"the customer id {error}") from error
        if not lines:
            raise InvalidOrder("an order needs at least one line")
        if len(lines) > MAX_LINES:
            raise InvalidOrder(f"an order has at most {MAX_LINES} lines")
        for line in lines:
            if is_blank(line.sku):
                raise InvalidOrder("every line needs a sku")
            if not 0 < line.quantity <= MAX_QUANTITY:
                raise InvalidOrder(f"quantity of {line.sku} must be between 1 and {MAX_QUANTITY}")
        if is_blank(payment_token):
            raise InvalidOrder("an order needs a payment_token")
        return cls(str(uuid.uuid4()), customer_id, merge_lines(lines), payment_token, now)
