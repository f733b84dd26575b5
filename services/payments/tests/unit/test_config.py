"""Bad settings stop the service with a message naming the variable."""

from pathlib import Path

import pytest
from chassis import ConfigError, load_settings
from chassis.testing.settings import assert_refused_by_name, bad_values

from payments.config import PaymentsSettings
from payments.main import create_app


def test_a_bad_database_url_names_its_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAYMENTS_DATABASE_URL", "mysql://nope/x")
    with pytest.raises(ConfigError, match="PAYMENTS_DATABASE_URL"):
        load_settings(PaymentsSettings)


def test_the_default_database_is_a_sqlite_file_of_its_own(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PAYMENTS_DATABASE_URL", raising=False)
    settings = load_settings(PaymentsSettings)
    assert settings.database_url.startswith("sqlite+aiosqlite:///")
    assert settings.database_url.endswith("/payments.db")


def test_the_gateway_is_configured_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAYMENTS_GATEWAY_LIMIT_CENTS", "5000")
    monkeypatch.setenv("PAYMENTS_GATEWAY_SLOW_DELAY_S", "0.5")
    settings = load_settings(PaymentsSettings)
    assert (settings.gateway_limit_cents, settings.gateway_slow_delay_s) == (5000, 0.5)


def test_gateway_defaults_follow_the_contracts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PAYMENTS_GATEWAY_LIMIT_CENTS", raising=False)
    monkeypatch.delenv("PAYMENTS_GATEWAY_SLOW_DELAY_S", raising=False)
    settings = load_settings(PaymentsSettings)
    assert (settings.gateway_limit_cents, settings.gateway_slow_delay_s) == (100_000, 8.0)


def test_a_negative_slow_delay_names_its_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAYMENTS_GATEWAY_SLOW_DELAY_S", "-1")
    with pytest.raises(ConfigError, match="PAYMENTS_GATEWAY_SLOW_DELAY_S"):
        load_settings(PaymentsSettings)


@pytest.mark.parametrize(("setting", "value"), bad_values(PaymentsSettings))
def test_every_bad_number_stops_startup_naming_its_variable(setting: str, value: str) -> None:
    assert_refused_by_name(PaymentsSettings, setting, value)


def test_without_a_token_issuer_payments_does_not_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("PAYMENTS_AUTH_ISSUER", "PAYMENTS_AUTH_JWKS_URL"):
        monkeypatch.delenv(name, raising=False)
    settings = PaymentsSettings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'payments.db'}")
    with pytest.raises(ConfigError, match="PAYMENTS_AUTH_ISSUER"):
        create_app(settings)
