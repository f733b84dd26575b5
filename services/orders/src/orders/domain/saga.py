"""The checkout saga: a pure state machine, unit-tested without I/O.

Forward steps: reserve stock -> charge payment -> confirm the order and commit stock. The charge
is the pivot: once it succeeded the order is CONFIRMED at once, in the same transaction that
sends the commit, because nothing after it can fail the order (committing moves reserved units
to sold and is retried until it succeeds; the saga finishes only then). On a failure before the
pivot the saga compensates in reverse: refund the payment if a charge may have happened, release
the reservation, then mark the order REJECTED with the reason. Every step has a deadline; a step
that passes it is compensated (forward steps) or retried (commit and compensations, which must
eventually succeed: the saga is never marked finished early).

``CheckoutSaga.handle(event, now)`` returns a :class:`Decision`: the commands to send and the
timeline entries to record. The caller (service layer) persists the saga, the entries and the
commands (through the outbox) in one transaction. Replies that do not fit the current state
(duplicates, late replies) change nothing, except the ones that need a correction: a payment
that succeeds after the saga gave up is refunded, a reservation that lands late is released.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum


class SagaState(StrEnum):
    RESERVING_STOCK = "RESERVING_STOCK"
    CHARGING_PAYMENT = "CHARGING_PAYMENT"
    COMMITTING_STOCK = "COMMITTING_STOCK"
    REFUNDING_PAYMENT = "REFUNDING_PAYMENT"
    RELEASING_STOCK = "RELEASING_STOCK"
    CONFIRMED = "CONFIRMED"
    REJECTED = "REJECTED"

    @property
    def finished(self) -> bool:
        return self in {SagaState.CONFIRMED, SagaState.REJECTED}

    @property
    def order_confirmed(self) -> bool:
        """Past the pivot: the order is confirmed, whatever is still being committed."""
        return self in {SagaState.COMMITTING_STOCK, SagaState.CONFIRMED}


# --- what comes in: replies from the participants, and the clock -------------------------------
@dataclass(frozen=True)
class StockReserved:
    total_cents: int


@dataclass(frozen=True)
class StockRejected:
    reason: str


@dataclass(frozen=True)
class StockReleased:
    pass


@dataclass(frozen=True)
class StockCommitted:
    pass


@dataclass(frozen=True)
class PaymentCharged:
    amount_cents: int


@dataclass(frozen=True)
class PaymentDeclined:
    reason: str


@dataclass(frozen=True)
class PaymentRefunded:
    amount_cents: int


@dataclass(frozen=True)
class DeadlinePassed:
    pass


SagaEvent = (
    StockReserved
    | StockRejected
    | StockReleased
    | StockCommitted
    | PaymentCharged
    | PaymentDeclined
    | PaymentRefunded
    | DeadlinePassed
)


# --- what goes out: commands to the participants -----------------------------------------------
@dataclass(frozen=True)
class ReserveStock:
    pass


@dataclass(frozen=True)
class ReleaseStock:
    reason: str


@dataclass(frozen=True)
class CommitStock:
    pass


@dataclass(frozen=True)
class ChargePayment:
    amount_cents: int


@dataclass(frozen=True)
class RefundPayment:
    reason: str


SagaCommand = ReserveStock | ReleaseStock | CommitStock | ChargePayment | RefundPayment


@dataclass(frozen=True)
class Step:
    """A timeline entry: which step, what happened, and why."""

    step: str
    outcome: str
    detail: str | None = None


@dataclass
class Decision:
    commands: list[SagaCommand] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.commands or self.steps)


def decide(*parts: SagaCommand | Step) -> Decision:
    """A decision from commands and steps, in the order given."""
    return Decision(
        commands=[part for part in parts if not isinstance(part, Step)],
        steps=[part for part in parts if isinstance(part, Step)],
    )


RESERVE, CHARGE, COMMIT, REFUND, RELEASE = (
    "reserve stock",
    "charge payment",
    "commit stock",
    "refund payment",
    "release stock",
)


@dataclass
class CheckoutSaga:
    """The state of one order's checkout."""

    order_id: str
    step_timeout: timedelta
    state: SagaState = SagaState.RESERVING_STOCK
    deadline_at: datetime | None = None
    attempts: int = 1
    total_cents: int | None = None
    reason: str | None = None

    def start(self, now: datetime) -> Decision:
        """Begin: ask inventory to reserve the order's lines."""
        self._enter(SagaState.RESERVING_STOCK, now)
        return decide(ReserveStock(), Step(RESERVE, "started"))

    def handle(self, event: SagaEvent, now: datetime) -> Decision:
        """Apply a reply or a passed deadline; return what to send and record."""
        if isinstance(event, DeadlinePassed) and not self.overdue(now):
            return decide()  # a reply moved the saga on since the sweeper looked
        match (self.state, event):
            # Forward path.
            case (SagaState.RESERVING_STOCK, StockReserved(total_cents=total)):
                self.total_cents = total
                self._enter(SagaState.CHARGING_PAYMENT, now)
                return decide(
                    ChargePayment(total),
                    Step(RESERVE, "succeeded", f"total {total} cents"),
                    Step(CHARGE, "started"),
                )
            case (SagaState.CHARGING_PAYMENT, PaymentCharged(amount_cents=amount)):
                # The pivot: paid, so the order is confirmed now; the commit cannot undo that.
                self._enter(SagaState.COMMITTING_STOCK, now)
                return decide(
                    CommitStock(),
                    Step(CHARGE, "succeeded", f"charged {amount} cents"),
                    Step("order", "confirmed"),
                    Step(COMMIT, "started"),
                )
            case (SagaState.COMMITTING_STOCK, StockCommitted()):
                self._finish(SagaState.CONFIRMED)
                return decide(Step(COMMIT, "succeeded"))

            # Failures of forward steps: compensate what was done, in reverse.
            case (SagaState.RESERVING_STOCK, StockRejected(reason=reason)):
                self.reason = reason
                self._finish(SagaState.REJECTED)
                return decide(Step(RESERVE, "failed", reason), Step("order", "rejected", reason))
            case (SagaState.RESERVING_STOCK, DeadlinePassed()):
                return self._compensate_from_release("timed out reserving stock", RESERVE, now)
            case (SagaState.CHARGING_PAYMENT, PaymentDeclined(reason=reason)):
                return self._compensate_from_release(
                    f"payment declined: {reason}", CHARGE, now, outcome="failed", detail=reason
                )
            case (SagaState.CHARGING_PAYMENT, DeadlinePassed()):
                # The charge may still happen: refund first (payments cancels or refunds it).
                self.reason = "timed out waiting for payment"
                self._enter(SagaState.REFUNDING_PAYMENT, now)
                return decide(
                    RefundPayment(self.reason), Step(CHARGE, "timed out"), Step(REFUND, "started")
                )

            # Compensations: wait for each to succeed, then go on.
            case (SagaState.REFUNDING_PAYMENT, PaymentRefunded(amount_cents=amount)):
                self._enter(SagaState.RELEASING_STOCK, now)
                return decide(
                    ReleaseStock(self.reason or ""),
                    Step(REFUND, "succeeded", f"refunded {amount} cents"),
                    Step(RELEASE, "started"),
                )
            case (SagaState.RELEASING_STOCK, StockReleased()):
                self._finish(SagaState.REJECTED)
                return decide(Step(RELEASE, "succeeded"), Step("order", "rejected", self.reason))

            # Steps that must not give up: retry them when their deadline passes.
            case (SagaState.COMMITTING_STOCK, DeadlinePassed()):
                return self._retry(CommitStock(), COMMIT, now)
            case (SagaState.REFUNDING_PAYMENT, DeadlinePassed()):
                return self._retry(RefundPayment(self.reason or ""), REFUND, now)
            case (SagaState.RELEASING_STOCK, DeadlinePassed()):
                return self._retry(ReleaseStock(self.reason or ""), RELEASE, now)

            # Late results after the saga gave up on them: undo them.
            case (
                SagaState.REJECTED | SagaState.RELEASING_STOCK,
                PaymentCharged(amount_cents=amount),
            ):
                return decide(
                    RefundPayment("payment arrived after the order was rejected"),
                    Step(CHARGE, "succeeded late", f"refunding {amount} cents"),
                )
            case (SagaState.REJECTED, StockReserved()):
                return decide(
                    ReleaseStock("reservation arrived after the order was rejected"),
                    Step(RESERVE, "succeeded late", "releasing it"),
                )
            case (SagaState.REJECTED, PaymentRefunded(amount_cents=amount)) if amount > 0:
                return decide(Step(REFUND, "succeeded", f"refunded {amount} cents after rejection"))

        # A duplicate, or a reply this state has nothing to do with: change nothing.
        return decide()

    def overdue(self, now: datetime) -> bool:
        """True when the current step's deadline has passed."""
        return self.deadline_at is not None and now >= self.deadline_at

    def _enter(self, state: SagaState, now: datetime) -> None:
        self.state = state
        self.attempts = 1
        self.deadline_at = now + self.step_timeout

    def _finish(self, state: SagaState) -> None:
        self.state = state
        self.deadline_at = None

    def _retry(self, command: SagaCommand, step: str, now: datetime) -> Decision:
        # Back off (up to 8 step timeouts) so a long outage of a participant does not pile up
        # one retry per timeout; every retry is idempotent on the other side.
        self.attempts += 1
        self.deadline_at = now + self.step_timeout * min(2 ** (self.attempts - 1), 8)
        return decide(command, Step(step, "retried", f"attempt {self.attempts}"))

    def _compensate_from_release(
        self,
        reason: str,
        failed_step: str,
        now: datetime,
        *,
        outcome: str = "timed out",
        detail: str | None = None,
    ) -> Decision:
        self.reason = reason
        self._enter(SagaState.RELEASING_STOCK, now)
        return decide(
            ReleaseStock(reason), Step(failed_step, outcome, detail), Step(RELEASE, "started")
        )
