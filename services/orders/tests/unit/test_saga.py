"""The checkout saga's decisions, without any I/O: every outcome, compensation and retry."""

from datetime import UTC, datetime, timedelta

import pytest

from orders.domain import CheckoutSaga, SagaState
from orders.domain import saga as s

T0 = datetime(2026, 1, 1, tzinfo=UTC)
TIMEOUT = timedelta(seconds=5)


def started() -> CheckoutSaga:
    saga = CheckoutSaga("o-1", TIMEOUT)
    decision = saga.start(T0)
    assert decision.commands == [s.ReserveStock()]
    return saga


def late(saga: CheckoutSaga) -> datetime:
    assert saga.deadline_at is not None
    return saga.deadline_at + timedelta(milliseconds=1)


def test_confirms_the_order_at_the_charge_and_finishes_after_the_commit() -> None:
    saga = started()
    assert saga.handle(s.StockReserved(2500), T0).commands == [s.ChargePayment(2500)]
    charged = saga.handle(s.PaymentCharged(2500), T0)
    assert charged.commands == [s.CommitStock()]
    assert ("order", "confirmed") in [(step.step, step.outcome) for step in charged.steps]
    # Past the pivot: the order is confirmed, the saga is not finished until the commit lands.
    assert saga.state.order_confirmed and not saga.state.finished
    assert saga.deadline_at is not None
    decision = saga.handle(s.StockCommitted(), T0)
    assert saga.state is SagaState.CONFIRMED
    assert decision.commands == []
    assert [(step.step, step.outcome) for step in decision.steps] == [("commit stock", "succeeded")]
    assert saga.deadline_at is None


def test_rejects_out_of_stock_without_compensation() -> None:
    saga = started()
    decision = saga.handle(s.StockRejected("out of stock"), T0)
    assert saga.state is SagaState.REJECTED
    assert saga.reason == "out of stock"
    assert decision.commands == []


def test_releases_stock_when_payment_is_declined() -> None:
    saga = started()
    saga.handle(s.StockReserved(100), T0)
    decision = saga.handle(s.PaymentDeclined("card declined"), T0)
    assert decision.commands == [s.ReleaseStock("payment declined: card declined")]
    assert saga.state is SagaState.RELEASING_STOCK
    saga.handle(s.StockReleased(), T0)
    assert saga.state is SagaState.REJECTED
    assert saga.reason == "payment declined: card declined"


def test_payment_timeout_refunds_then_releases_then_rejects() -> None:
    saga = started()
    saga.handle(s.StockReserved(100), T0)
    decision = saga.handle(s.DeadlinePassed(), late(saga))
    assert decision.commands == [s.RefundPayment("timed out waiting for payment")]
    assert saga.handle(s.PaymentRefunded(0), T0).commands == [
        s.ReleaseStock("timed out waiting for payment")
    ]
    saga.handle(s.StockReleased(), T0)
    assert saga.state is SagaState.REJECTED
    assert saga.reason == "timed out waiting for payment"


def test_reserve_timeout_releases_whatever_may_have_been_reserved() -> None:
    saga = started()
    decision = saga.handle(s.DeadlinePassed(), late(saga))
    assert decision.commands == [s.ReleaseStock("timed out reserving stock")]
    # The reservation lands after all: the pending release takes care of it.
    assert not saga.handle(s.StockReserved(100), T0).changed
    saga.handle(s.StockReleased(), T0)
    assert saga.state is SagaState.REJECTED


def test_a_payment_that_succeeds_after_rejection_is_refunded() -> None:
    saga = started()
    saga.handle(s.StockReserved(100), T0)
    saga.handle(s.DeadlinePassed(), late(saga))
    saga.handle(s.PaymentRefunded(0), T0)
    saga.handle(s.StockReleased(), T0)
    decision = saga.handle(s.PaymentCharged(100), T0)
    assert saga.state is SagaState.REJECTED
    assert decision.commands == [s.RefundPayment("payment arrived after the order was rejected")]


def test_a_reservation_that_lands_after_rejection_is_released() -> None:
    saga = started()
    saga.handle(s.StockRejected("out of stock"), T0)
    decision = saga.handle(s.StockReserved(100), T0)
    assert decision.commands == [s.ReleaseStock("reservation arrived after the order was rejected")]


@pytest.mark.parametrize(
    "duplicate",
    [s.StockReserved(100), s.StockRejected("x"), s.StockReleased(), s.PaymentDeclined("x")],
)
def test_duplicate_or_stray_replies_change_nothing(duplicate: s.SagaEvent) -> None:
    saga = started()
    saga.handle(s.StockReserved(100), T0)
    saga.handle(s.PaymentCharged(100), T0)
    before = (saga.state, saga.deadline_at, saga.attempts)
    assert not saga.handle(duplicate, T0).changed
    assert (saga.state, saga.deadline_at, saga.attempts) == before


def test_commit_and_compensations_are_retried_never_abandoned() -> None:
    saga = started()
    saga.handle(s.StockReserved(100), T0)
    saga.handle(s.PaymentCharged(100), T0)
    for attempt in (2, 3):
        decision = saga.handle(s.DeadlinePassed(), late(saga))
        assert decision.commands == [s.CommitStock()]
        assert saga.attempts == attempt
        assert saga.state is SagaState.COMMITTING_STOCK

    declined = started()
    declined.handle(s.StockReserved(100), T0)
    declined.handle(s.PaymentDeclined("card declined"), T0)
    retry = declined.handle(s.DeadlinePassed(), late(declined))
    assert retry.commands == [s.ReleaseStock("payment declined: card declined")]
    assert declined.state is SagaState.RELEASING_STOCK


def test_a_deadline_not_yet_passed_changes_nothing() -> None:
    saga = started()
    assert not saga.handle(s.DeadlinePassed(), T0 + TIMEOUT / 2).changed
    assert saga.state is SagaState.RESERVING_STOCK


def test_a_finished_saga_ignores_the_clock() -> None:
    saga = started()
    saga.handle(s.StockRejected("out of stock"), T0)
    assert not saga.handle(s.DeadlinePassed(), T0 + timedelta(days=1)).changed
