"""Settings: the prefix follows from the name, and every bad number stops startup by name."""

from __future__ import annotations

from typing import ClassVar

import pytest
from chassis.settings import ServiceSettings
from chassis.testing.settings import assert_refused_by_name, bad_values, numeric_settings


class StockKeeperSettings(ServiceSettings):
    service_name: ClassVar[str] = "stock-keeper"


def test_the_environment_prefix_is_derived_from_the_service_name(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("STOCK_KEEPER_RELAY_BATCH_SIZE", "17")
    settings = StockKeeperSettings()
    assert settings.relay_batch_size == 17
    assert settings.env_name("port") == "STOCK_KEEPER_PORT"
    assert settings.stream_name == "STOCK_KEEPER"


def test_every_numeric_setting_of_the_chassis_is_checked() -> None:
    assert {"port", "relay_poll_interval_s", "consumer_backoff_s"} <= set(
        numeric_settings(StockKeeperSettings)
    )


@pytest.mark.parametrize(("setting", "value"), bad_values(StockKeeperSettings))
def test_a_bad_value_stops_startup_naming_its_variable(setting: str, value: str) -> None:
    assert_refused_by_name(StockKeeperSettings, setting, value)


@pytest.mark.parametrize("port", ["99999", "-1", "0"])
def test_the_ports_people_tried_are_refused(port: str) -> None:
    assert_refused_by_name(StockKeeperSettings, "port", port)


def test_a_negative_relay_poll_interval_is_refused() -> None:
    # It used to start and spin at 100% CPU.
    assert_refused_by_name(StockKeeperSettings, "relay_poll_interval_s", "-3")


def test_a_service_says_where_it_connects_with_passwords_masked() -> None:
    from chassis.service_cli import where_it_connects

    settings = StockKeeperSettings(
        database_url="postgresql://keeper:s3cret@db.internal:5432/stock",
        nats_url="nats://keeper:hunter2@127.0.0.1:4222",
    )
    lines = where_it_connects(settings)

    assert "s3cret" not in " ".join(lines) and "hunter2" not in " ".join(lines)
    assert lines[0].startswith("database postgresql+asyncpg://keeper:***@db.internal:5432/stock")
    assert lines[0].endswith("(STOCK_KEEPER_DATABASE_URL)")
    assert lines[1] == "NATS nats://keeper:***@127.0.0.1:4222 (STOCK_KEEPER_NATS_URL)"


def test_migrations_use_the_database_url_unless_given_their_own() -> None:
    runtime = "postgresql://keeper:s3cret@db.internal:5432/stock"
    assert StockKeeperSettings(database_url=runtime).migration_database_url == (
        "postgresql+asyncpg://keeper:s3cret@db.internal:5432/stock"
    )
    migrator = "postgresql://keeper_migrator:0wner@db.internal:5432/stock"
    settings = StockKeeperSettings(database_url=runtime, migration_database_url=migrator)
    assert settings.migration_database_url.startswith("postgresql+asyncpg://keeper_migrator:")


def test_a_migration_url_of_another_database_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    from chassis.settings import ConfigError, load_settings

    monkeypatch.setenv("STOCK_KEEPER_DATABASE_URL", "postgresql://keeper:pw@db:5432/stock")
    monkeypatch.setenv("STOCK_KEEPER_MIGRATION_DATABASE_URL", "postgresql://m:pw@db:5432/other")
    with pytest.raises(ConfigError, match="STOCK_KEEPER_MIGRATION_DATABASE_URL: must name the"):
        load_settings(StockKeeperSettings)


def test_a_service_says_which_role_migrates_when_it_is_another() -> None:
    from chassis.service_cli import where_it_connects

    settings = StockKeeperSettings(
        database_url="postgresql://keeper:s3cret@db.internal:5432/stock",
        migration_database_url="postgresql://keeper_migrator:0wner@db.internal:5432/stock",
    )
    lines = where_it_connects(settings)

    assert "0wner" not in " ".join(lines)
    assert lines[1] == (
        "migrations postgresql+asyncpg://keeper_migrator:***@db.internal:5432/stock "
        "(STOCK_KEEPER_MIGRATION_DATABASE_URL)"
    )
