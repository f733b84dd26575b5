"""What operators see of each step, read off the timeline the saga itself wrote (pure: no I/O),
and how each entry names the message it stands for."""

from datetime import UTC, datetime, timedelta

from orders.domain import (
    CHECKOUT,
    CheckoutSaga,
    DeadlinePassed,
    Decision,
    Order,
    OrderLine,
    PaymentCharged,
    PaymentDeclined,
    PaymentRefunded,
    StockCommitted,
    StockReleased,
    StockReserved,
    TimelineEntry,
)
from orders.domain.saga.progress import Progress, progress_of
from orders.messaging.saga_types import message_types

T0 = datetime(2026, 1, 1, tzinfo=UTC)
TIMEOUT = timedelta(seconds=5)
TYPES = message_types(CHECKOUT)


def run(*events: object) -> tuple[list[Decision], list[TimelineEntry]]:
    """The decisions of a saga fed ``events`` one second apart (a deadline: once it passed)."""
    saga = CheckoutSaga.of(Order("o-1", "c-1", [OrderLine("sku-lamp", 1)], "tok", T0), TIMEOUT)
    decisions = [saga.start(T0)]
    now = T0
    for event in events:
        now = now + timedelta(seconds=1)
        if isinstance(event, DeadlinePassed):
            assert saga.deadline_at is not None
            now = saga.deadline_at
        decisions.append(saga.handle(event, now))  # type: ignore[arg-type]
    return decisions, [entry for decision in decisions for entry in decision.timeline]


def progress(*events: object) -> Progress:
    return progress_of(CHECKOUT, run(*events)[1], TYPES)


def test_every_step_is_listed_in_order_even_those_not_reached() -> None:
    steps = progress().steps
    assert [(s.step, s.participant, s.command) for s in steps] == [
        ("reserve stock", "inventory", "inventory.reserve-stock"),
        ("charge payment", "payments", "payments.charge"),
        ("commit stock", "inventory", "inventory.commit-stock"),
    ]
    assert [(s.status, s.attempts) for s in steps] == [
        ("running", 1), ("not started", 0), ("not started", 0),
    ]  # fmt: skip
    assert steps[0].started_at == T0 and steps[0].duration_ms is None
    assert progress().compensations == []


def test_a_confirmed_checkout_shows_each_step_succeeded_with_its_duration() -> None:
    steps = progress(StockReserved(100), PaymentCharged(100), StockCommitted()).steps
    assert [s.status for s in steps] == ["succeeded"] * 3
    assert [s.duration_ms for s in steps] == [1000.0, 1000.0, 1000.0]


def test_a_declined_payment_shows_the_failure_and_the_release_that_undid_the_reservation() -> None:
    shown = progress(StockReserved(100), PaymentDeclined("card declined"), StockReleased())
    assert [s.status for s in shown.steps] == ["succeeded", "failed", "not started"]
    [release] = shown.compensations
    assert (release.step, release.participant, release.command) == (
        "release stock", "inventory", "inventory.release-stock"
    )  # fmt: skip
    assert (release.status, release.attempts, release.duration_ms) == ("succeeded", 1, 1000.0)


def test_a_timed_out_charge_is_undone_last_first_and_a_retried_compensation_counts_attempts() -> (
    None
):
    shown = progress(StockReserved(100), DeadlinePassed(), DeadlinePassed())
    assert [s.status for s in shown.steps][:2] == ["succeeded", "timed out"]
    [refund] = shown.compensations
    assert (refund.step, refund.status, refund.attempts) == ("refund payment", "retrying", 2)


def test_a_retried_commit_counts_its_attempts_until_it_succeeds() -> None:
    commit = progress(
        StockReserved(100), PaymentCharged(100), DeadlinePassed(), DeadlinePassed()
    ).steps[2]
    assert (commit.status, commit.attempts) == ("retrying", 3)
    done = progress(
        StockReserved(100), PaymentCharged(100), DeadlinePassed(), StockCommitted()
    ).steps[2]
    assert (done.status, done.attempts, done.finished_at is not None) == ("succeeded", 2, True)


def test_a_success_after_the_rejection_is_shown_as_late() -> None:
    shown = progress(
        StockReserved(100),
        DeadlinePassed(),
        PaymentRefunded(0),
        StockReleased(),
        PaymentCharged(100),
    )
    assert shown.steps[1].status == "succeeded late"
    assert [(c.step, c.status) for c in shown.compensations] == [
        ("refund payment", "succeeded"), ("release stock", "succeeded"),
    ]  # fmt: skip


def test_each_entry_names_the_message_it_sends_or_marks_the_reply_it_records() -> None:
    decisions, _ = run(StockReserved(100), PaymentDeclined("card declined"), StockReleased())
    for decision in decisions:
        sent = [entry.sends for entry in decision.timeline if entry.sends is not None]
        outcome = [decision.outcome] if decision.outcome is not None else []
        # The very objects emitted: the service layer pairs each with its envelope.
        assert [id(m) for m in sent] == [id(m) for m in [*decision.commands, *outcome]]
    labels = [
        (e.step, e.outcome, type(e.sends).__name__ if e.sends else e.records_reply)
        for d in decisions
        for e in d.timeline
    ]
    assert labels == [
        ("reserve stock", "started", "ReserveStock"),
        ("reserve stock", "succeeded", True),
        ("charge payment", "started", "ChargePayment"),
        ("charge payment", "failed", True),
        ("release stock", "started", "ReleaseStock"),
        ("release stock", "succeeded", True),
        ("order", "rejected", "OrderRejected"),
    ]


def test_message_types_come_from_the_contracts_that_carry_them() -> None:
    assert dict(TYPES.commands) == {
        "reserve stock": "inventory.reserve-stock",
        "release stock": "inventory.release-stock",
        "charge payment": "payments.charge",
        "refund payment": "payments.refund",
        "commit stock": "inventory.commit-stock",
    }
    assert TYPES.replies[StockReserved] == "inventory.stock-reserved"
    assert TYPES.replies[PaymentDeclined] == "payments.declined"
