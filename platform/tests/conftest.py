"""Fixtures for the chassis tests: the widget harness on a fresh database and a real broker."""

from __future__ import annotations

import asyncio
import importlib
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path

# Before any other import. When the rootdir is the workspace root (`pytest` typed there or inside
# platform/, `pytest platform`), pytest names this module `platform.tests.conftest` after its
# path and, the standard library's `platform` being no package, has just put this folder in
# sys.modules in its place; nats, SQLAlchemy, asyncpg and aiohttp call platform.system() and the
# like. Put the real module back.
if not hasattr(sys.modules.get("platform"), "system"):
    sys.modules.pop("platform", None)
    importlib.import_module("platform")

import pytest  # noqa: E402

# widget.py and widget_harness.py live here; the widget migrations import widget too.
sys.path.insert(0, str(Path(__file__).parent))

from chassis.migrations import upgrade  # noqa: E402
from chassis.testing import NatsServer  # noqa: E402
from widget_harness import MIGRATIONS, Harness  # noqa: E402


@pytest.fixture
async def harness(
    database_url_for: Callable[[str], str], nats_server: NatsServer
) -> AsyncIterator[Harness]:
    url = database_url_for("widgets")
    await asyncio.to_thread(upgrade, MIGRATIONS, url)
    h = Harness(url, nats_server)
    h.broker.start()
    await h.broker.wait_connected(15)
    yield h
    await h.close()
