"""The simulated gateway's rules, without any I/O."""

from datetime import UTC, datetime, timedelta

import pytest

from payments.domain.gateway import (
    CARD_DECLINED,
    OVER_LIMIT,
    Approved,
    Deferred,
    Refused,
    SimulatedGateway,
)

NOW = datetime(2026, 1, 1, tzinfo=UTC)
GATEWAY = SimulatedGateway(limit_cents=10_000, slow_delay=timedelta(seconds=8))


@pytest.mark.parametrize("token", ["tok_visa", "tok_anything", ""])
def test_approves_any_other_token_at_once(token: str) -> None:
    assert GATEWAY.authorize(2_500, token, now=NOW) == Approved()


def test_declines_the_decline_token() -> None:
    assert GATEWAY.authorize(100, "tok_decline", now=NOW) == Refused(CARD_DECLINED)


def test_declines_an_amount_above_the_limit_but_not_the_limit_itself() -> None:
    assert GATEWAY.authorize(10_001, "tok_visa", now=NOW) == Refused(OVER_LIMIT)
    assert GATEWAY.authorize(10_000, "tok_visa", now=NOW) == Approved()


def test_the_slow_token_settles_after_the_configured_delay() -> None:
    assert GATEWAY.authorize(100, "tok_slow", now=NOW) == Deferred(NOW + timedelta(seconds=8))


def test_refusals_win_over_the_slow_token() -> None:
    assert GATEWAY.authorize(10_001, "tok_slow", now=NOW) == Refused(OVER_LIMIT)


def test_the_decline_token_wins_over_the_limit() -> None:
    assert GATEWAY.authorize(10_001, "tok_decline", now=NOW) == Refused(CARD_DECLINED)


def test_defaults_follow_the_contracts() -> None:
    gateway = SimulatedGateway()
    assert gateway.limit_cents == 100_000
    assert gateway.slow_delay == timedelta(seconds=8)
