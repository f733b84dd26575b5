"""Bad settings stop the service with a message naming the variable."""

import pytest
from chassis import ConfigError, load_settings
from chassis.testing.settings import assert_refused_by_name, bad_values

from {{ cookiecutter.package }}.config import {{ cookiecutter.class_prefix }}Settings


def test_a_bad_database_url_names_its_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("{{ cookiecutter.package.upper() }}_DATABASE_URL", "mysql://nope/x")
    with pytest.raises(ConfigError, match="{{ cookiecutter.package.upper() }}_DATABASE_URL"):
        load_settings({{ cookiecutter.class_prefix }}Settings)


def test_the_default_database_is_a_sqlite_file_of_its_own(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("{{ cookiecutter.package.upper() }}_DATABASE_URL", raising=False)
    settings = load_settings({{ cookiecutter.class_prefix }}Settings)
    assert settings.database_url.startswith("sqlite+aiosqlite:///")
    assert settings.database_url.endswith("/{{ cookiecutter.service_slug }}.db")


def test_the_port_is_what_the_stack_sets(monkeypatch: pytest.MonkeyPatch) -> None:
    # The port lives in [tool.mkservice] only; the stack passes it in this variable.
    monkeypatch.setenv("{{ cookiecutter.package.upper() }}_PORT", "8123")
    assert load_settings({{ cookiecutter.class_prefix }}Settings).port == 8123


@pytest.mark.parametrize(("setting", "value"), bad_values({{ cookiecutter.class_prefix }}Settings))
def test_every_bad_number_stops_startup_naming_its_variable(setting: str, value: str) -> None:
    # Every number has bounds (add them to your own settings too: Field(default=..., ge=, le=)).
    assert_refused_by_name({{ cookiecutter.class_prefix }}Settings, setting, value)
