"""The checkout saga's decisions, without any I/O: every outcome, compensation and retry, and
what the order's timeline says of each."""

from datetime import UTC, datetime, timedelta

import pytest

from orders.domain import (
    ChargePayment,
    CheckoutData,
    CheckoutSaga,
    CommitStock,
    DeadlinePassed,
    Decision,
    Order,
    OrderConfirmed,
    OrderLine,
    OrderRejected,
    OrderStatus,
    PaymentCharged,
    PaymentDeclined,
    PaymentRefunded,
    RefundPayment,
    ReleaseStock,
    ReserveStock,
    SagaEvent,
    SagaState,
    StockCommitted,
    StockRejected,
    StockReleased,
    StockReserved,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)
TIMEOUT = timedelta(seconds=5)
LINES = [OrderLine("sku-lamp", 2)]


def started() -> CheckoutSaga:
    saga = CheckoutSaga.of(Order("o-1", "c-1", LINES, "tok_ok", T0), TIMEOUT)
    decision = saga.start(T0)
    assert decision.commands == [ReserveStock("o-1", tuple(LINES))]
    assert saga.outcome is None
    return saga


def late(saga: CheckoutSaga) -> datetime:
    assert saga.deadline_at is not None
    return saga.deadline_at + timedelta(milliseconds=1)


def timeline(*decisions: Decision) -> list[tuple[str, str, str | None]]:
    return [(e.step, e.outcome, e.detail) for d in decisions for e in d.timeline]


def test_confirms_the_order_at_the_charge_and_finishes_after_the_commit() -> None:
    saga = started()
    reserved = saga.handle(StockReserved(2500), T0)
    # The charge carries what payments needs: the reserved total and the order's token.
    assert reserved.commands == [ChargePayment("o-1", 2500, "tok_ok")]
    charged = saga.handle(PaymentCharged(2500), T0)
    assert charged.commands == [CommitStock("o-1")]
    assert charged.outcome == saga.outcome == OrderConfirmed("o-1", 2500)
    # Past the pivot: the order is confirmed, the saga is not finished until the commit lands.
    assert saga.order_status is OrderStatus.CONFIRMED and not saga.state.finished
    assert saga.deadline_at is not None
    committed = saga.handle(StockCommitted(), T0)
    assert saga.state is SagaState.CONFIRMED
    assert committed.commands == []
    assert committed.outcome is None  # announced once, at the charge
    assert timeline(committed) == [("commit stock", "succeeded", None)]
    assert saga.deadline_at is None


def test_rejects_out_of_stock_without_compensation() -> None:
    saga = started()
    decision = saga.handle(StockRejected("out of stock"), T0)
    assert saga.state is SagaState.REJECTED
    assert saga.reason == "out of stock"
    assert decision.commands == []
    assert decision.outcome == OrderRejected("o-1", "out of stock")
    assert saga.order_status is OrderStatus.REJECTED and saga.order_reason == "out of stock"


def test_releases_stock_when_payment_is_declined() -> None:
    saga = started()
    saga.handle(StockReserved(100), T0)
    decision = saga.handle(PaymentDeclined("card declined"), T0)
    assert decision.commands == [ReleaseStock("o-1", "payment declined: card declined")]
    assert saga.state is SagaState.RELEASING_STOCK
    # Rejected only once the release is confirmed.
    assert decision.outcome is None and saga.order_status is OrderStatus.PENDING
    released = saga.handle(StockReleased(), T0)
    assert saga.state is SagaState.REJECTED
    assert saga.reason == "payment declined: card declined"
    assert released.outcome == OrderRejected("o-1", "payment declined: card declined")


def test_payment_timeout_refunds_then_releases_then_rejects() -> None:
    saga = started()
    saga.handle(StockReserved(100), T0)
    decision = saga.handle(DeadlinePassed(), late(saga))
    assert decision.commands == [RefundPayment("o-1", "timed out waiting for payment")]
    assert saga.handle(PaymentRefunded(0), T0).commands == [
        ReleaseStock("o-1", "timed out waiting for payment")
    ]
    released = saga.handle(StockReleased(), T0)
    assert saga.state is SagaState.REJECTED
    assert saga.reason == "timed out waiting for payment"
    assert released.outcome == OrderRejected("o-1", "timed out waiting for payment")


def test_reserve_timeout_releases_whatever_may_have_been_reserved() -> None:
    saga = started()
    decision = saga.handle(DeadlinePassed(), late(saga))
    assert decision.commands == [ReleaseStock("o-1", "timed out reserving stock")]
    # The reservation lands after all: the pending release takes care of it.
    assert not saga.handle(StockReserved(100), T0).changed
    saga.handle(StockReleased(), T0)
    assert saga.state is SagaState.REJECTED


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        pytest.param(
            [StockReserved(3900), PaymentCharged(3900), StockCommitted()],
            [
                ("reserve stock", "started", None),
                ("reserve stock", "succeeded", "total 3900 cents"),
                ("charge payment", "started", None),
                ("charge payment", "succeeded", "charged 3900 cents"),
                ("order", "confirmed", None),
                ("commit stock", "started", None),
                ("commit stock", "succeeded", None),
            ],
            id="confirmed",
        ),
        pytest.param(
            [StockRejected("out of stock")],
            [
                ("reserve stock", "started", None),
                ("reserve stock", "failed", "out of stock"),
                ("order", "rejected", "out of stock"),
            ],
            id="out-of-stock",
        ),
        pytest.param(
            [StockReserved(3900), PaymentDeclined("card declined"), StockReleased()],
            [
                ("reserve stock", "started", None),
                ("reserve stock", "succeeded", "total 3900 cents"),
                ("charge payment", "started", None),
                ("charge payment", "failed", "card declined"),
                ("release stock", "started", None),
                ("release stock", "succeeded", None),
                ("order", "rejected", "payment declined: card declined"),
            ],
            id="declined",
        ),
        pytest.param(
            [StockReserved(3900), DeadlinePassed(), PaymentRefunded(0), StockReleased()],
            [
                ("reserve stock", "started", None),
                ("reserve stock", "succeeded", "total 3900 cents"),
                ("charge payment", "started", None),
                ("charge payment", "timed out", None),
                ("refund payment", "started", None),
                ("refund payment", "succeeded", "refunded 0 cents"),
                ("release stock", "started", None),
                ("release stock", "succeeded", None),
                ("order", "rejected", "timed out waiting for payment"),
            ],
            id="payment-timed-out",
        ),
    ],
)
def test_the_timeline_of_each_outcome(
    path: list[SagaEvent], expected: list[tuple[str, str, str | None]]
) -> None:
    saga = CheckoutSaga.of(Order("o-1", "c-1", LINES, "tok_ok", T0), TIMEOUT)
    decisions = [(T0, saga.start(T0))]
    for event in path:
        now = late(saga) if isinstance(event, DeadlinePassed) else T0
        decisions.append((now, saga.handle(event, now)))
    assert timeline(*(decision for _, decision in decisions)) == expected
    # Each entry is dated by the decision that wrote it.
    assert all(entry.at == now for now, decision in decisions for entry in decision.timeline)
    # The outcome is announced by exactly one decision: the one that reached it.
    outcomes = [decision.outcome for _, decision in decisions if decision.outcome is not None]
    assert outcomes == [saga.outcome]


def test_a_payment_that_succeeds_after_rejection_is_refunded() -> None:
    saga = started()
    saga.handle(StockReserved(100), T0)
    saga.handle(DeadlinePassed(), late(saga))
    saga.handle(PaymentRefunded(0), T0)
    saga.handle(StockReleased(), T0)
    decision = saga.handle(PaymentCharged(100), T0)
    assert saga.state is SagaState.REJECTED
    assert decision.commands == [
        RefundPayment("o-1", "payment arrived after the order was rejected")
    ]
    assert timeline(decision) == [("charge payment", "succeeded late", "refunding 100 cents")]
    assert decision.outcome is None  # the order stays rejected; nothing new to announce
    # Its refund is recorded when it returns money; a refund of nothing says nothing new.
    refunded = saga.handle(PaymentRefunded(100), T0)
    assert timeline(refunded) == [
        ("refund payment", "succeeded", "refunded 100 cents after rejection")
    ]
    assert not saga.handle(PaymentRefunded(0), T0).changed


def test_a_payment_that_succeeds_while_stock_is_released_is_refunded() -> None:
    saga = started()
    saga.handle(StockReserved(100), T0)
    saga.handle(PaymentDeclined("card declined"), T0)
    decision = saga.handle(PaymentCharged(100), T0)
    assert saga.state is SagaState.RELEASING_STOCK
    assert decision.commands == [
        RefundPayment("o-1", "payment arrived after the order was rejected")
    ]


def test_a_payment_that_succeeds_while_it_is_refunded_needs_nothing_more() -> None:
    saga = started()
    saga.handle(StockReserved(100), T0)
    saga.handle(DeadlinePassed(), late(saga))
    # The refund on its way returns the money; its reply carries the amount.
    assert not saga.handle(PaymentCharged(100), T0).changed
    assert saga.state is SagaState.REFUNDING_PAYMENT


def test_a_reservation_that_lands_after_rejection_is_released() -> None:
    saga = started()
    saga.handle(StockRejected("out of stock"), T0)
    decision = saga.handle(StockReserved(100), T0)
    assert decision.commands == [
        ReleaseStock("o-1", "reservation arrived after the order was rejected")
    ]
    assert timeline(decision) == [("reserve stock", "succeeded late", "releasing it")]


@pytest.mark.parametrize(
    "duplicate",
    [StockReserved(100), StockRejected("x"), StockReleased(), PaymentDeclined("x")],
)
def test_duplicate_or_stray_replies_change_nothing(duplicate: SagaEvent) -> None:
    saga = started()
    saga.handle(StockReserved(100), T0)
    saga.handle(PaymentCharged(100), T0)
    before = (saga.state, saga.deadline_at, saga.attempts, saga.outcome)
    assert not saga.handle(duplicate, T0).changed
    assert (saga.state, saga.deadline_at, saga.attempts, saga.outcome) == before


def test_commit_and_compensations_are_retried_never_abandoned() -> None:
    saga = started()
    saga.handle(StockReserved(100), T0)
    saga.handle(PaymentCharged(100), T0)
    for attempt in (2, 3):
        decision = saga.handle(DeadlinePassed(), late(saga))
        assert decision.commands == [CommitStock("o-1")]
        assert timeline(decision) == [("commit stock", "retried", f"attempt {attempt}")]
        assert saga.attempts == attempt
        assert saga.state is SagaState.COMMITTING_STOCK
        assert decision.outcome is None

    declined = started()
    declined.handle(StockReserved(100), T0)
    declined.handle(PaymentDeclined("card declined"), T0)
    retry = declined.handle(DeadlinePassed(), late(declined))
    assert retry.commands == [ReleaseStock("o-1", "payment declined: card declined")]
    assert declined.state is SagaState.RELEASING_STOCK

    refunding = started()
    refunding.handle(StockReserved(100), T0)
    refunding.handle(DeadlinePassed(), late(refunding))
    retry = refunding.handle(DeadlinePassed(), late(refunding))
    assert retry.commands == [RefundPayment("o-1", "timed out waiting for payment")]
    assert refunding.state is SagaState.REFUNDING_PAYMENT


def test_retries_back_off_up_to_eight_step_timeouts() -> None:
    saga = started()
    saga.handle(StockReserved(100), T0)
    saga.handle(PaymentCharged(100), T0)
    waits = []
    for _ in range(5):
        now = late(saga)
        saga.handle(DeadlinePassed(), now)
        assert saga.deadline_at is not None
        waits.append((saga.deadline_at - now) / TIMEOUT)
    assert waits == [2, 4, 8, 8, 8]


def test_a_deadline_not_yet_passed_changes_nothing() -> None:
    saga = started()
    assert not saga.handle(DeadlinePassed(), T0 + TIMEOUT / 2).changed
    assert saga.state is SagaState.RESERVING_STOCK


def test_a_finished_saga_ignores_the_clock() -> None:
    saga = started()
    saga.handle(StockRejected("out of stock"), T0)
    assert not saga.handle(DeadlinePassed(), T0 + timedelta(days=1)).changed


@pytest.mark.parametrize(
    ("state", "outcome", "status"),
    [
        (SagaState.RESERVING_STOCK, None, OrderStatus.PENDING),
        (SagaState.CHARGING_PAYMENT, None, OrderStatus.PENDING),
        (SagaState.REFUNDING_PAYMENT, None, OrderStatus.PENDING),
        (SagaState.RELEASING_STOCK, None, OrderStatus.PENDING),
        (SagaState.COMMITTING_STOCK, OrderConfirmed("o-1", 100), OrderStatus.CONFIRMED),
        (SagaState.CONFIRMED, OrderConfirmed("o-1", 100), OrderStatus.CONFIRMED),
        (SagaState.REJECTED, OrderRejected("o-1", "out of stock"), OrderStatus.REJECTED),
    ],
)
def test_a_stored_saga_knows_its_outcome_and_what_its_order_shows(
    state: SagaState, outcome: OrderConfirmed | OrderRejected | None, status: OrderStatus
) -> None:
    data = CheckoutData("o-1", "tok_ok", total_cents=100)
    saga = CheckoutSaga(data, TIMEOUT, state=state, reason="out of stock")
    assert saga.outcome == outcome
    assert saga.order_status is status


def test_only_a_saga_with_its_order_lines_can_reserve() -> None:
    with pytest.raises(ValueError, match="needs its lines"):
        ReserveStock("o-1", ())
