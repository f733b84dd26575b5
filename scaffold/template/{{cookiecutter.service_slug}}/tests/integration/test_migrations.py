"""The migrations build exactly the tables the code maps, and can be rolled back."""

from __future__ import annotations

from chassis.testing.migrations import check_round_trip

from {{ cookiecutter.package }}.adapters.tables import {{ cookiecutter.class_prefix }}Base
from {{ cookiecutter.package }}.bootstrap import MIGRATIONS_DIR
from {{ cookiecutter.package }}.config import {{ cookiecutter.class_prefix }}Settings


async def test_upgrade_builds_the_mapped_schema_and_downgrade_removes_it(
    settings: {{ cookiecutter.class_prefix }}Settings,
) -> None:
    await check_round_trip(
        MIGRATIONS_DIR, settings.database_url, {{ cookiecutter.class_prefix }}Base.metadata
    )
