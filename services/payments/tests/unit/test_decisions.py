"""The idempotency decisions: what each command does to an order's payment, without I/O."""

from datetime import UTC, datetime, timedelta

from payments.domain import (
    Charge,
    Charged,
    Declined,
    Payment,
    PaymentStatus,
    Refund,
    Refunded,
    ReplyTo,
    SimulatedGateway,
    decisions,
)
from payments.domain.model import ALREADY_REFUNDED, REFUNDED_BEFORE_CHARGE

NOW = datetime(2026, 1, 1, tzinfo=UTC)
LATER = NOW + timedelta(seconds=30)
GATEWAY = SimulatedGateway(limit_cents=10_000, slow_delay=timedelta(seconds=8))
REPLY_TO = ReplyTo("order-1", "charge-message-1")


def _charge(existing: Payment | None, token: str = "tok_visa", amount: int = 2_500):
    return decisions.charge(
        existing, Charge("order-1", amount, token), GATEWAY, now=NOW, reply_to=REPLY_TO
    )


def _refund(existing: Payment | None, at: datetime = LATER):
    return decisions.refund(existing, Refund("order-1", "order rejected"), now=at)


def _charged() -> Payment:
    payment = _charge(None).payment
    assert payment is not None
    return payment


def _pending() -> Payment:
    payment = _charge(None, token="tok_slow").payment
    assert payment is not None
    return payment


def test_an_approved_charge_stores_a_charged_payment_and_answers_charged() -> None:
    decision = _charge(None)
    payment = decision.payment
    assert decision.created and payment is not None
    assert payment.status is PaymentStatus.CHARGED
    assert decision.events == (Charged("order-1", payment.payment_id, 2_500),)


def test_a_refused_charge_stores_a_declined_payment_with_its_reason() -> None:
    decision = _charge(None, token="tok_decline")
    assert decision.payment is not None
    assert decision.payment.status is PaymentStatus.DECLINED
    assert decision.payment.reason == "card declined"
    assert decision.events == (Declined("order-1", "card declined"),)


def test_a_slow_charge_is_stored_pending_with_whom_to_answer_and_answers_nothing() -> None:
    decision = _charge(None, token="tok_slow")
    assert decision.events == ()
    assert decision.payment is not None
    assert decision.payment.status is PaymentStatus.PENDING
    assert decision.payment.settle_after == NOW + timedelta(seconds=8)
    assert decision.payment.reply_to == REPLY_TO


def test_a_second_charge_never_charges_again_and_answers_the_same_outcome() -> None:
    payment = _charged()
    decision = _charge(payment, amount=9_999)
    assert decision.payment is None
    assert decision.events == (Charged("order-1", payment.payment_id, 2_500),)


def test_a_second_charge_of_a_declined_payment_answers_declined_again() -> None:
    declined = _charge(None, token="tok_decline").payment
    decision = _charge(declined, token="tok_visa")
    assert decision.payment is None
    assert decision.events == (Declined("order-1", "card declined"),)


def test_a_second_charge_while_pending_answers_nothing() -> None:
    assert _charge(_pending()) == decisions.Decision()


def test_a_refund_of_a_charged_payment_returns_the_whole_amount() -> None:
    payment = _charged()
    decision = _refund(payment)
    assert decision.payment is payment and not decision.created
    assert payment.status is PaymentStatus.REFUNDED
    assert payment.refunded_cents == 2_500
    assert payment.reason == "order rejected"
    assert decision.events == (Refunded("order-1", payment.payment_id, 2_500),)


def test_a_repeated_refund_changes_nothing_and_answers_the_same_refund() -> None:
    payment = _charged()
    _refund(payment)
    again = _refund(payment)
    assert again.payment is None
    assert again.events == (Refunded("order-1", payment.payment_id, 2_500),)


def test_a_refund_of_a_pending_payment_cancels_it_and_returns_nothing() -> None:
    payment = _pending()
    decision = _refund(payment)
    assert payment.status is PaymentStatus.CANCELLED
    assert decision.events == (Refunded("order-1", payment.payment_id, 0),)
    assert decisions.settle(payment, now=LATER) == decisions.Decision()
    assert payment.status is PaymentStatus.CANCELLED


def test_a_refund_of_a_declined_payment_returns_nothing_and_keeps_the_decline() -> None:
    declined = _charge(None, token="tok_decline").payment
    assert declined is not None
    decision = _refund(declined)
    assert decision.payment is None
    assert declined.status is PaymentStatus.DECLINED
    assert decision.events == (Refunded("order-1", declined.payment_id, 0),)


def test_a_refund_before_any_charge_records_a_tombstone() -> None:
    decision = _refund(None)
    tombstone = decision.payment
    assert decision.created and tombstone is not None
    assert tombstone.status is PaymentStatus.REFUNDED
    assert (tombstone.amount_cents, tombstone.refunded_cents) == (0, 0)
    assert decision.events == (Refunded("order-1", tombstone.payment_id, 0),)


def test_a_charge_after_the_tombstone_is_declined_and_charges_nothing() -> None:
    tombstone = _refund(None).payment
    decision = _charge(tombstone)
    assert decision.payment is None
    assert decision.events == (Declined("order-1", REFUNDED_BEFORE_CHARGE),)


def test_a_charge_after_a_cancelled_pending_payment_is_declined() -> None:
    payment = _pending()
    _refund(payment)
    assert _charge(payment).events == (Declined("order-1", REFUNDED_BEFORE_CHARGE),)


def test_a_charge_after_a_refund_of_a_charged_payment_is_declined() -> None:
    payment = _charged()
    _refund(payment)
    assert _charge(payment).events == (Declined("order-1", ALREADY_REFUNDED),)


def test_a_pending_payment_settles_only_once_due() -> None:
    payment = _pending()
    assert decisions.settle(payment, now=NOW + timedelta(seconds=7)) == decisions.Decision()
    assert payment.status is PaymentStatus.PENDING

    decision = decisions.settle(payment, now=NOW + timedelta(seconds=8))
    assert payment.status is PaymentStatus.CHARGED
    assert decision.events == (Charged("order-1", payment.payment_id, 2_500),)
    assert decisions.settle(payment, now=LATER) == decisions.Decision()


def test_a_settled_payment_refunds_its_whole_amount() -> None:
    payment = _pending()
    decisions.settle(payment, now=LATER)
    assert _refund(payment).events == (Refunded("order-1", payment.payment_id, 2_500),)
