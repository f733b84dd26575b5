"""Bad settings stop the service with a message naming the variable."""

from pathlib import Path

import pytest
from chassis import ConfigError, load_settings
from chassis.testing.settings import assert_refused_by_name, bad_values

from orders.config import OrdersSettings
from orders.main import create_app


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


def test_without_a_token_issuer_orders_does_not_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("ORDERS_AUTH_ISSUER", "ORDERS_AUTH_JWKS_URL"):
        monkeypatch.delenv(name, raising=False)
    settings = OrdersSettings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'orders.db'}")
    with pytest.raises(ConfigError, match="ORDERS_AUTH_ISSUER"):
        create_app(settings)
