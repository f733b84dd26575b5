"""What operators read of the stored sagas: a summary per saga, the totals over all of them,
and one saga in full. Plain read models: the repository fills them, the saga never reads them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from orders.domain.model import OrderLine, OrderStatus, TimelineEntry
from orders.domain.saga.checkout import SagaState

# The most frequent rejection reasons the totals list; the rest are only counted.
TOP_REASONS = 20


class SagaFilter(StrEnum):
    """Which sagas a page lists."""

    RUNNING = "running"  # not finished
    STUCK = "stuck"  # not finished, and its step's deadline has passed
    CONFIRMED = "confirmed"  # its order is CONFIRMED (the commit may still be under way)
    REJECTED = "rejected"


def is_stuck(state: SagaState, deadline_at: datetime | None, now: datetime) -> bool:
    """A running saga whose step deadline is past: the sweeper should have moved it on."""
    return not state.finished and deadline_at is not None and deadline_at < now


@dataclass(frozen=True)
class PageKey:
    """Where a page ends in the newest-first order (placed_at, then order id, both descending):
    the next page starts just after it."""

    placed_at: datetime
    order_id: str


@dataclass(frozen=True)
class SagaSummary:
    order_id: str
    customer_id: str
    state: SagaState
    status: OrderStatus
    # Why the order was rejected, or why its checkout is being undone.
    reason: str | None
    total_cents: int | None
    placed_at: datetime
    updated_at: datetime  # the saga's last timeline entry (the order's last change without one)
    deadline_at: datetime | None
    attempts: int
    stuck: bool

    @property
    def key(self) -> PageKey:
        return PageKey(self.placed_at, self.order_id)


@dataclass(frozen=True)
class SagaTotals:
    """Over every saga, whatever a page shows."""

    running: int = 0
    stuck: int = 0
    confirmed: int = 0
    rejected: int = 0
    total: int = 0
    states: dict[SagaState, int] = field(default_factory=dict)  # every state, 0 included
    reasons: list[tuple[str, int]] = field(default_factory=list)  # most frequent first


@dataclass(frozen=True)
class SagaRecord:
    """One saga in full: its summary, its order's lines and trace, and its timeline (with the
    message of each entry)."""

    summary: SagaSummary
    lines: list[OrderLine]
    trace_id: str | None
    timeline: list[TimelineEntry]
