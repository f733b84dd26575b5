"""Settings of inventory: each is read from INVENTORY_<NAME>."""

from typing import ClassVar

from chassis import ServiceSettings, load_settings, service_config


class InventorySettings(ServiceSettings):
    """Everything ServiceSettings reads, plus what this service adds."""

    model_config = service_config("INVENTORY_")
    service_name: ClassVar[str] = "inventory"

    port: int = 8002


def load() -> InventorySettings:
    """Settings from the environment; a bad value raises ConfigError naming the variable."""
    return load_settings(InventorySettings)
