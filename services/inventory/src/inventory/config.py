"""Settings of inventory: each is read from INVENTORY_<NAME> (the prefix follows from the name)."""

from typing import ClassVar

from chassis import ServiceSettings, load_settings


class InventorySettings(ServiceSettings):
    """Everything ServiceSettings reads; inventory adds nothing of its own. Its port lives in
    its record (``[tool.mkservice]`` in pyproject.toml): the stack sets INVENTORY_PORT from it."""

    service_name: ClassVar[str] = "inventory"


def load() -> InventorySettings:
    """Settings from the environment; a bad value raises ConfigError naming the variable."""
    return load_settings(InventorySettings)
