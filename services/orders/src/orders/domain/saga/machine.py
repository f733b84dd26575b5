"""The state machine that runs the checkout saga (``checkout.CHECKOUT``): pure, no I/O.

``CheckoutSaga.handle(event, now)`` returns a :class:`Decision`: the commands to send, the
timeline entries to record (each naming the command or outcome it sends, or marked as recording
the reply) and, when this event decided it, the outcome to announce. The service
layer persists the saga, its entries, its commands and its outcome (through the outbox) in one
transaction. Replies that do not fit the current state (duplicates, late replies) change
nothing, except a success that arrives after its step was undone: that is undone again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from orders.domain.commands import SagaCommand
from orders.domain.events import DeadlinePassed, OrderConfirmed, OrderRejected, Outcome, SagaEvent
from orders.domain.model import Order, OrderStatus, TimelineEntry
from orders.domain.saga.checkout import CHECKOUT, ORDER, CheckoutData, SagaState
from orders.domain.saga.steps import Decision, Reply, Retry, Role

# At most this many step timeouts between two sendings of a retried command.
MAX_BACKOFF = 8


@dataclass
class CheckoutSaga:
    """One order's checkout: what its steps need of the order, where it stands, how it ended."""

    data: CheckoutData
    step_timeout: timedelta
    state: SagaState = SagaState.RESERVING_STOCK
    deadline_at: datetime | None = None
    attempts: int = 1
    # Why the checkout is being undone; once rejected, why the order was.
    reason: str | None = None
    # How the checkout ended; set by the step that decides it (a stored saga's follows from its
    # state).
    outcome: Outcome | None = None

    def __post_init__(self) -> None:
        if self.outcome is None and CHECKOUT.confirms_in(self.state):
            self.outcome = self._confirmed()
        elif self.outcome is None and self.state is SagaState.REJECTED:
            self.outcome = self._rejected()

    @classmethod
    def of(cls, order: Order, step_timeout: timedelta) -> CheckoutSaga:
        """The checkout of a newly placed order, not started yet."""
        return cls(CheckoutData.of(order), step_timeout)

    @property
    def order_id(self) -> str:
        return self.data.order_id

    @property
    def order_status(self) -> OrderStatus:
        """What the order shows: its outcome once known (CONFIRMED from the pivot on)."""
        match self.outcome:
            case OrderConfirmed():
                return OrderStatus.CONFIRMED
            case OrderRejected():
                return OrderStatus.REJECTED
        return OrderStatus.PENDING

    @property
    def order_reason(self) -> str | None:
        """Why the order was rejected; None while it is not."""
        return self.outcome.reason if isinstance(self.outcome, OrderRejected) else None

    def overdue(self, now: datetime) -> bool:
        """True when the current step's deadline has passed."""
        return self.deadline_at is not None and now >= self.deadline_at

    def start(self, now: datetime) -> Decision:
        """Begin with the first step."""
        return self._begin(0, now)

    def handle(self, event: SagaEvent, now: datetime) -> Decision:
        """Apply a reply or a passed deadline; return what to send, record and announce."""
        if isinstance(event, DeadlinePassed):
            # Checked again under the row lock: a reply may have moved the saga on since.
            return self._deadline_passed(now) if self.overdue(now) else Decision()
        answered = CHECKOUT.answered_by(event)
        if answered is None:
            return Decision()
        index, role = answered
        at, undoing = CHECKOUT.position(self.state)
        match role:
            case Role.SUCCEEDED if index == at and not undoing:
                return self._succeeded(index, event, now)
            case Role.FAILED if index == at and not undoing:
                return self._failed(index, event, now)
            case Role.COMPENSATED if index == at and undoing:
                return self._compensated(index, event, now)
            case Role.SUCCEEDED if undoing and index > at:
                # Done after the saga undid it (or gave up before sending it): undo it again.
                return self._undo_late(index, event, now)
            case Role.COMPENSATED if self.state is SagaState.REJECTED:
                return self._after_rejection(index, event, now)
        # A duplicate, a reply to a step the saga has left, or a success whose compensation is
        # under way or still to come (which undoes it): nothing to do.
        return Decision()

    # --- the moves -------------------------------------------------------------------------
    def _begin(self, index: int, now: datetime) -> Decision:
        step = CHECKOUT.steps[index]
        self._enter(step.state, now)
        command = step.command(self.data)
        return Decision([command], [_entry(step.name, "started", now, sends=command)])

    def _succeeded(self, index: int, reply: SagaEvent, now: datetime) -> Decision:
        step = CHECKOUT.steps[index]
        if step.succeeded.keep is not None:
            step.succeeded.keep(self.data, reply)
        succeeded = _replied(step.name, "succeeded", now, _detail(step.succeeded, reply))
        decision = Decision(timeline=[succeeded])
        if step.pivot:
            self.outcome = self._confirmed()
            confirmed = _entry(ORDER, "confirmed", now, sends=self.outcome)
            decision = decision.then(Decision(timeline=[confirmed], outcome=self.outcome))
        if index + 1 < len(CHECKOUT.steps):
            return decision.then(self._begin(index + 1, now))
        self._finish(SagaState.CONFIRMED)
        return decision

    def _failed(self, index: int, reply: SagaEvent, now: datetime) -> Decision:
        step = CHECKOUT.steps[index]
        assert step.failed is not None
        self.reason = step.failed.reason(reply)
        # The timeline shows the participant's own reason; the order's may say more.
        failed = _replied(step.name, "failed", now, getattr(reply, "reason", None))
        return Decision(timeline=[failed]).then(self._undo_from(index - 1, now))

    def _compensated(self, index: int, reply: SagaEvent, now: datetime) -> Decision:
        undone = CHECKOUT.steps[index].compensation
        assert undone is not None
        succeeded = _replied(undone.name, "succeeded", now, _detail(undone.succeeded, reply))
        return Decision(timeline=[succeeded]).then(self._undo_from(index - 1, now))

    def _undo_late(self, index: int, reply: SagaEvent, now: datetime) -> Decision:
        step = CHECKOUT.steps[index]
        if step.late is None or step.compensation is None:
            return Decision()
        # The entry records the late reply; the compensation it sends has no entry of its own.
        late = _replied(step.name, "succeeded late", now, step.late.detail(reply))
        return Decision([step.compensation.command(self.data, step.late.reason)], [late])

    def _after_rejection(self, index: int, reply: SagaEvent, now: datetime) -> Decision:
        undone = CHECKOUT.steps[index].compensation
        assert undone is not None
        note = undone.succeeded.after_rejection
        detail = note(reply) if note is not None else None
        if detail is None:
            return Decision()
        return Decision(timeline=[_replied(undone.name, "succeeded", now, detail)])

    def _deadline_passed(self, now: datetime) -> Decision:
        index, undoing = CHECKOUT.position(self.state)
        step = CHECKOUT.steps[index]
        if undoing:
            assert step.compensation is not None
            command = step.compensation.command(self.data, self.reason or "")
            return self._retry(step.compensation.name, command, now)
        if isinstance(step.deadline, Retry):
            return self._retry(step.name, step.command(self.data), now)
        self.reason = step.deadline.reason
        timed_out = Decision(timeline=[_entry(step.name, "timed out", now)])
        return timed_out.then(self._undo_from(index, now))

    def _undo_from(self, index: int, now: datetime) -> Decision:
        """Compensate the steps up to ``index``, last first; reject once none is left."""
        for step in reversed(CHECKOUT.steps[: index + 1]):
            if step.compensation is not None:
                self._enter(step.compensation.state, now)
                command = step.compensation.command(self.data, self.reason or "")
                started = _entry(step.compensation.name, "started", now, sends=command)
                return Decision([command], [started])
        self._finish(SagaState.REJECTED)
        self.outcome = self._rejected()
        rejected = _entry(ORDER, "rejected", now, self.outcome.reason, sends=self.outcome)
        return Decision(timeline=[rejected], outcome=self.outcome)

    def _retry(self, name: str, command: SagaCommand, now: datetime) -> Decision:
        # Back off (up to MAX_BACKOFF step timeouts) so a long outage of a participant does not
        # pile up one retry per timeout; every retry is idempotent on the other side.
        self.attempts += 1
        self.deadline_at = now + self.step_timeout * min(2 ** (self.attempts - 1), MAX_BACKOFF)
        retried = _entry(name, "retried", now, f"attempt {self.attempts}", sends=command)
        return Decision([command], [retried])

    def _enter(self, state: str, now: datetime) -> None:
        self.state = SagaState(state)
        self.attempts = 1
        self.deadline_at = now + self.step_timeout

    def _finish(self, state: SagaState) -> None:
        self.state = state
        self.deadline_at = None

    def _confirmed(self) -> OrderConfirmed:
        return OrderConfirmed(self.order_id, self.data.total_cents or 0)

    def _rejected(self) -> OrderRejected:
        return OrderRejected(self.order_id, self.reason or "rejected")


def _entry(
    step: str,
    outcome: str,
    now: datetime,
    detail: str | None = None,
    *,
    sends: SagaCommand | Outcome | None = None,
) -> TimelineEntry:
    return TimelineEntry(step, outcome, detail, now, sends=sends)


def _replied(step: str, outcome: str, now: datetime, detail: str | None) -> TimelineEntry:
    """An entry about the reply being applied (the message it records is that reply)."""
    return TimelineEntry(step, outcome, detail, now, records_reply=True)


def _detail(reply: Reply[CheckoutData], event: object) -> str | None:
    return reply.detail(event) if reply.detail is not None else None
