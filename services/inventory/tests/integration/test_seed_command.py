"""``python -m inventory seed`` as a person (or the demo) runs it: the same entry point, called
in-process (a new interpreter per call would only add start-up time)."""

from __future__ import annotations

import asyncio

import pytest

from inventory.__main__ import main
from inventory.config import InventorySettings


async def _seed(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INVENTORY_DATABASE_URL", database_url)
    # The command runs its own event loop, as it does from a shell.
    await asyncio.to_thread(main, ["seed"])


async def test_seed_loads_the_catalogue_and_a_second_seed_adds_nothing(
    migrated: InventorySettings,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    await _seed(migrated.database_url, monkeypatch)
    first = capsys.readouterr().out
    assert "seeded sku-lamp, sku-chair, sku-desk, sku-mug, sku-notebook, sku-last" in first

    await _seed(migrated.database_url, monkeypatch)
    assert "seeded nothing; 6 already present" in capsys.readouterr().out


async def test_seed_refuses_an_unmigrated_database_with_a_sentence(
    settings: InventorySettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(SystemExit, match=r"run `python -m inventory migrate` first"):
        await _seed(settings.database_url, monkeypatch)
