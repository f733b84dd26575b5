"""A real browser for the console's tests: Debian's chromium driven by Playwright.

Playwright's own browser downloads need the internet; these machines are offline, so the tests
drive the system's chromium (``apt-get install chromium``), found on the PATH or at
``$MKSERVICE_CHROMIUM``. Without one the browser tests skip with :data:`HOW_TO_GET_IT`, which
the suite's summary also prints once (tests/e2e/conftest.py).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

CHROMIUM_ENV = "MKSERVICE_CHROMIUM"
HOW_TO_GET_IT = (
    "the console's browser tests need Chromium: `apt-get install chromium` (Debian), or set "
    f"{CHROMIUM_ENV} to a Chromium executable"
)
# Screenshots of the pages, kept after the run (the README's picture is one of them).
OUTPUT_ENV = "MKSERVICE_TEST_OUTPUT"


def chromium_path() -> str | None:
    """The Chromium executable to drive, or None when the machine has none."""
    given = os.environ.get(CHROMIUM_ENV)
    if given:
        return given if Path(given).exists() else None
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def output_dir(repo: Path) -> Path:
    folder = Path(os.environ.get(OUTPUT_ENV) or repo / ".data" / "test-output") / "console"
    folder.mkdir(parents=True, exist_ok=True)
    return folder
