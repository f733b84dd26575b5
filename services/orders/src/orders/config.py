"""Settings of orders: each is read from ORDERS_<NAME> (the prefix follows from the name)."""

from typing import ClassVar

from chassis import ServiceSettings, load_settings
from pydantic import Field


class OrdersSettings(ServiceSettings):
    """Everything ServiceSettings reads, plus the saga's timing."""

    service_name: ClassVar[str] = "orders"

    # How long each saga step may wait for its reply before it is compensated or retried.
    saga_step_timeout_s: float = Field(default=5.0, gt=0, le=3600)
    # How often the sweeper looks for sagas whose step deadline has passed.
    saga_sweep_interval_s: float = Field(default=0.5, gt=0, le=3600)


def load() -> OrdersSettings:
    """Settings from the environment; a bad value raises ConfigError naming the variable."""
    return load_settings(OrdersSettings)
