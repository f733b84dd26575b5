"""A pytest plugin that the workspace tests put into the pytest runs they start.

Loaded with ``PYTEST_PLUGINS=collection_probe`` (this folder on ``PYTHONPATH``), so the command
line stays the one a person types. At the end of the session it writes, as JSON, to the file
named by ``COLLECTION_PROBE_REPORT``: whether ``platform`` was still the standard library's
module after collection and at the end, which plugins were registered, and whether schemathesis
or hypothesis were imported at all.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

REPORT_ENV = "COLLECTION_PROBE_REPORT"
WATCHED_MODULES = ("schemathesis", "hypothesis")

_platform_replaced_at: list[str] = []


def _check_platform(moment: str) -> None:
    if not callable(getattr(sys.modules.get("platform"), "system", None)):
        _platform_replaced_at.append(moment)


def pytest_collection_finish(session: pytest.Session) -> None:
    _check_platform("after collection")


def pytest_sessionfinish(session: pytest.Session) -> None:
    _check_platform("at the end of the session")
    plugins = session.config.pluginmanager.get_plugins()
    report = {
        "platform_replaced_at": _platform_replaced_at,
        "plugin_modules": sorted({getattr(plugin, "__name__", "") for plugin in plugins} - {""}),
        "imported": [name for name in WATCHED_MODULES if name in sys.modules],
    }
    Path(os.environ[REPORT_ENV]).write_text(json.dumps(report), encoding="utf-8")
