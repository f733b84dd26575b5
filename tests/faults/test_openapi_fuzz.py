"""Schemathesis with every check (``schemathesis run -c all``) against each running service's
own OpenAPI: whatever a client sends, no 5xx, no answer outside the schema, no schema-valid
request refused, no schema-invalid one taken, and a 405 that names its allowed methods.

The installed schemathesis's own runner (its CLI) is used rather than its pytest API: only the
runner has the coverage and stateful phases in which ``-c all`` finds undeclared methods and
refused valid data. A generated service gets the same run in tests/scaffold/test_new_service.py.

Runs only where schemathesis is installed (it belongs in the workspace's dev dependencies);
without it the tests are skipped and say why.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip(
    "schemathesis",
    reason="schemathesis is not installed: add it to the workspace's dev dependencies",
)

from mkservice.stack import Supervisor  # noqa: E402

SERVICES = ["orders", "inventory", "payments"]
# Examples per operation and phase: enough to find the classic crashes (huge numbers, odd
# unicode, empty and missing fields) in under a minute per service on a busy two-core machine.
MAX_EXAMPLES = 40


def schemathesis_all_checks(
    base_url: str, token: str, max_examples: int = MAX_EXAMPLES
) -> str | None:
    """The report of ``schemathesis run -c all`` against ``base_url``, calling with ``token``
    (its ``ignored_auth`` check also sends requests without it, which must be refused); None
    when it found nothing. Derandomized, so a failure found once is found again."""
    completed = subprocess.run(
        [str(Path(sys.executable).with_name("schemathesis")), "run", f"{base_url}/openapi.json",
         "--url", base_url, "--header", f"Authorization: Bearer {token}",
         "--checks", "all", "--max-examples", str(max_examples),
         "--workers", "1", "--generation-deterministic", "--no-color"],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    return None if completed.returncode == 0 else completed.stdout[-8000:] + completed.stderr


@pytest.mark.parametrize("service", SERVICES)
def test_schemathesis_with_every_check_finds_nothing(service: str, stack: Supervisor) -> None:
    # An operator's token, so every route is reached past its 401 and 403.
    report = schemathesis_all_checks(stack.url(service), stack.token("fuzz", ["admin", "metrics"]))
    assert report is None, report
