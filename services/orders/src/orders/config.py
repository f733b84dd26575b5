"""Settings of orders: each is read from ORDERS_<NAME>."""

from typing import ClassVar

from chassis import ServiceSettings, load_settings, service_config
from pydantic import Field


class OrdersSettings(ServiceSettings):
    """Everything ServiceSettings reads, plus the saga's timing."""

    model_config = service_config("ORDERS_")
    service_name: ClassVar[str] = "orders"

    port: int = 8001
    # How long each saga step may wait for its reply before it is compensated or retried.
    saga_step_timeout_s: float = Field(5.0, gt=0)
    # How often the sweeper looks for sagas whose step deadline has passed.
    saga_sweep_interval_s: float = Field(0.5, gt=0)


def load() -> OrdersSettings:
    """Settings from the environment; a bad value raises ConfigError naming the variable."""
    return load_settings(OrdersSettings)
