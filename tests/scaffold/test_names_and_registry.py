"""Names derived from the one a user types; the port registry; migration heads."""

from __future__ import annotations

from pathlib import Path

import pytest

from mkservice.generator import Refused, derive_names, migration_heads, read_registry, validate_name
from mkservice.generator.registry import allocate_port, check_available, check_port
from mkservice.record import RegisteredService


def test_derives_every_name_from_a_kebab_case_name() -> None:
    names = validate_name("order-history")

    assert names.package == "order_history"
    assert names.class_prefix == "OrderHistory"
    assert names.env_prefix == "ORDER_HISTORY_"
    assert names.stream == "ORDER_HISTORY"
    assert names.database_env == "ORDER_HISTORY_DATABASE_URL"


@pytest.mark.parametrize("name", ["a", "shipping", "a1-b2", "x" * 40, "match", "order-history"])
def test_accepts_well_formed_names(name: str) -> None:
    assert validate_name(name).slug == name


def test_allocates_the_first_free_port_from_8001() -> None:
    assert allocate_port({}) == 8001
    assert allocate_port({8001: "a", 8002: "b", 8004: "c"}) == 8003


def test_a_free_port_in_range_is_accepted() -> None:
    check_port(9000, {8001: "the service 'orders'"})
    with pytest.raises(Refused, match="already used by the service 'orders'"):
        check_port(8001, {8001: "the service 'orders'"})


def test_reads_the_registry_and_copes_with_odd_folders(tmp_path: Path) -> None:
    services = tmp_path / "services"
    (services / "good").mkdir(parents=True)
    (services / "good" / "pyproject.toml").write_text(
        '[tool.mkservice]\nservice = "good"\npackage = "good"\nport = 8001\n'
        'template_version = "1"\n'
    )
    (services / "old-style").mkdir()
    (services / "old-style" / "pyproject.toml").write_text(
        '[tool.mkservice]\nservice = "old-style"\npackage = "old_style"\nport = 8002\n'
        'env_prefix = "OLD_"\n'
    )
    (services / "no-table").mkdir()
    (services / "no-table" / "pyproject.toml").write_text('[project]\nname = "no-table"\n')
    (services / "broken").mkdir()
    (services / "broken" / "pyproject.toml").write_text("[tool.mkservice\n")
    (services / "empty").mkdir()  # no pyproject.toml: not a service
    (services / ".mkservice-tmp-x").mkdir()

    found = {service.slug: service for service in read_registry(tmp_path)}

    assert set(found) == {"good", "old-style", "no-table", "broken"}
    assert found["good"].port == 8001 and found["good"].problem is None
    # The prefix and the stream follow from the name; a record that writes one down is flagged.
    assert (found["good"].env_prefix, found["good"].stream) == ("GOOD_", "GOOD")
    assert "sets env_prefix" in str(found["old-style"].problem)
    assert found["old-style"].env_prefix == "OLD_STYLE_"
    assert found["no-table"].package == "no_table" and found["no-table"].problem
    assert found["broken"].port is None and "unreadable" in str(found["broken"].problem)


def test_the_migration_head_is_the_revision_nobody_revises(tmp_path: Path) -> None:
    versions = tmp_path / "versions"
    versions.mkdir()
    (versions / "0001_a.py").write_text('revision = "0001"\ndown_revision = None\n')
    (versions / "0002_b.py").write_text('revision: str = "0002"\ndown_revision = "0001"\n')
    (versions / "0003_c.py").write_text('revision = "0003"\ndown_revision = "0001"\n')
    (versions / "broken.py").write_text("this is not python(\n")

    assert migration_heads(tmp_path) == ["0002", "0003"]
    assert migration_heads(tmp_path / "missing") == []
    assert derive_names("a1b").class_prefix.isidentifier()


def test_a_distribution_in_the_lock_is_taken_whatever_its_spelling(tmp_path: Path) -> None:
    (tmp_path / "uv.lock").write_text(
        'version = 1\n\n[[package]]\nname = "Flask_Login"\nversion = "1"\n'
        'source = { registry = "https://pypi.org/simple" }\n\n'
        '[[package]]\nname = "gone"\nversion = "0.1.0"\nsource = { editable = "services/gone" }\n'
    )
    services: list[RegisteredService] = []

    with pytest.raises(Refused, match="distribution Flask_Login"):
        check_available(tmp_path, derive_names("flask-login"), services)
    # A service folder removed by hand stays in the lock until `uv lock`: its name is free.
    check_available(tmp_path, derive_names("gone"), services)
