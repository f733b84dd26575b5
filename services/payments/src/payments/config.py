"""Settings of payments: each is read from PAYMENTS_<NAME> (the prefix follows from the name)."""

from typing import ClassVar

from chassis import ServiceSettings, load_settings
from pydantic import Field


class PaymentsSettings(ServiceSettings):
    """Everything ServiceSettings reads, plus the simulated gateway and its settler. Its port
    lives in its record (``[tool.mkservice]`` in pyproject.toml): the stack sets PAYMENTS_PORT
    from it."""

    service_name: ClassVar[str] = "payments"

    # A charge above this many cents is declined (`amount over limit`).
    gateway_limit_cents: int = Field(default=100_000, ge=0, le=10**12)
    # tok_slow settles after this long: longer than the saga's payment deadline by default.
    gateway_slow_delay_s: float = Field(default=8.0, ge=0, le=86_400)
    # How often the settler looks for pending payments that are due.
    settle_poll_interval_s: float = Field(default=0.5, gt=0, le=3600)


def load() -> PaymentsSettings:
    """Settings from the environment; a bad value raises ConfigError naming the variable."""
    return load_settings(PaymentsSettings)
