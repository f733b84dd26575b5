"""Names derived from the one a user types; the port registry; migration heads."""

from __future__ import annotations

from pathlib import Path

import pytest

from mkservice.generator import Refused, derive_names, migration_heads, read_registry, validate_name
from mkservice.generator.registry import allocate_port, check_port


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
        '[tool.mkservice]\nport = 8001\npackage = "good"\nenv_prefix = "GOOD_"\n'
        'stream = "GOOD"\ntemplate_version = "1"\n'
    )
    (services / "no-table").mkdir()
    (services / "no-table" / "pyproject.toml").write_text('[project]\nname = "no-table"\n')
    (services / "broken").mkdir()
    (services / "broken" / "pyproject.toml").write_text("[tool.mkservice\n")
    (services / "empty").mkdir()  # no pyproject.toml: not a service
    (services / ".mkservice-tmp-x").mkdir()

    found = {service.slug: service for service in read_registry(tmp_path)}

    assert set(found) == {"good", "no-table", "broken"}
    assert found["good"].port == 8001 and found["good"].problem is None
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
