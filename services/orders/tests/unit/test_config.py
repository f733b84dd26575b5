"""Bad settings stop the service with a message naming the variable."""

import pytest
from chassis import ConfigError, load_settings
from chassis.testing.settings import assert_refused_by_name, bad_values

from orders.config import OrdersSettings


def test_a_bad_database_url_names_its_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ORDERS_DATABASE_URL", "mysql://nope/x")
    with pytest.raises(ConfigError, match="ORDERS_DATABASE_URL"):
        load_settings(OrdersSettings)


def test_the_default_database_is_a_sqlite_file_of_its_own(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ORDERS_DATABASE_URL", raising=False)
    settings = load_settings(OrdersSettings)
    assert settings.database_url.startswith("sqlite+aiosqlite:///")
    assert settings.database_url.endswith("/orders.db")


@pytest.mark.parametrize(("setting", "value"), bad_values(OrdersSettings))
def test_every_bad_number_stops_startup_naming_its_variable(setting: str, value: str) -> None:
    assert_refused_by_name(OrdersSettings, setting, value)
