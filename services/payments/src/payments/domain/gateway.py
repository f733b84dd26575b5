"""The simulated card gateway: deterministic rules, so that every checkout outcome can be
produced on purpose (in the demo, in tests) by choosing a token and an amount.

Rules, first match wins:

========================  =============================================
token ``tok_decline``     refused, ``card declined``
amount above the limit    refused, ``amount over limit``
token ``tok_slow``        approved, but settles only after the delay
any other token           approved at once
========================  =============================================
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

DECLINE_TOKEN = "tok_decline"
SLOW_TOKEN = "tok_slow"

CARD_DECLINED = "card declined"
OVER_LIMIT = "amount over limit"

DEFAULT_LIMIT_CENTS = 100_000
DEFAULT_SLOW_DELAY = timedelta(seconds=8)


@dataclass(frozen=True)
class Approved:
    """The amount is taken now."""


@dataclass(frozen=True)
class Refused:
    """Nothing is taken, for ``reason``."""

    reason: str


@dataclass(frozen=True)
class Deferred:
    """Approved, but the gateway answers only at ``settle_after``."""

    settle_after: datetime


Verdict = Approved | Refused | Deferred


@dataclass(frozen=True)
class SimulatedGateway:
    """A stand-in for a card processor, configured with its limit and its slow delay."""

    limit_cents: int = DEFAULT_LIMIT_CENTS
    slow_delay: timedelta = DEFAULT_SLOW_DELAY

    def authorize(self, amount_cents: int, token: str, *, now: datetime) -> Verdict:
        """The gateway's answer to charging ``amount_cents`` with ``token`` at ``now``."""
        if token == DECLINE_TOKEN:
            return Refused(CARD_DECLINED)
        if amount_cents > self.limit_cents:
            return Refused(OVER_LIMIT)
        if token == SLOW_TOKEN:
            return Deferred(now + self.slow_delay)
        return Approved()
