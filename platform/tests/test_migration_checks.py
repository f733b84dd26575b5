"""``chassis.testing.migrations``, the check every service's migration tests run, against the
widget's real migrations: it passes when they build what is mapped, and names what differs."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import widget
from chassis.testing.migrations import check_round_trip, table_names
from sqlalchemy import Column, Integer, MetaData, String, Table
from widget_harness import MIGRATIONS


def _widget_mapping() -> MetaData:
    """A copy of the widget's mapping, to change without touching the real one."""
    mapped = MetaData()
    for table in widget.metadata.tables.values():
        table.to_metadata(mapped)
    return mapped


async def test_the_widget_migrations_build_what_is_mapped_and_undo_it(
    database_url_for: Callable[[str], str],
) -> None:
    url = database_url_for("widgets")
    await check_round_trip(MIGRATIONS, url, widget.metadata)
    assert "widget_effect" in await table_names(url)


async def test_a_table_the_migrations_do_not_build_is_named(
    database_url_for: Callable[[str], str],
) -> None:
    mapped = _widget_mapping()
    Table("gadget", mapped, Column("id", Integer, primary_key=True))
    with pytest.raises(AssertionError, match=r"tables missing \['gadget'\]"):
        await check_round_trip(MIGRATIONS, database_url_for("widgets"), mapped)


async def test_a_column_the_migrations_do_not_build_is_a_difference(
    database_url_for: Callable[[str], str],
) -> None:
    mapped = _widget_mapping()
    mapped.tables["widget_effect"].append_column(Column("colour", String(20)))
    with pytest.raises(AssertionError, match="schema differs.*colour"):
        await check_round_trip(MIGRATIONS, database_url_for("widgets"), mapped)
