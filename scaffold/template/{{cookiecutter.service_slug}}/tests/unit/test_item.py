"""The item's rules, without any I/O."""

from datetime import UTC, datetime

import pytest

from {{ cookiecutter.package }}.domain import InvalidItem, Item

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def test_creating_an_item_trims_its_name() -> None:
    item = Item.create("  lamp ", now=NOW)
    assert item.name == "lamp"
    assert item.announced_at is None


@pytest.mark.parametrize("name", ["", "   ", "x" * 201])
def test_refuses_an_empty_or_overlong_name(name: str) -> None:
    with pytest.raises(InvalidItem):
        Item.create(name, now=NOW)


def test_an_item_is_announced_once() -> None:
    item = Item.create("lamp", now=NOW)
    assert item.announce(NOW) is True
    assert item.announce(datetime(2027, 1, 1, tzinfo=UTC)) is False
    assert item.announced_at == NOW
