"""Schemathesis against each running service's own OpenAPI: whatever a client sends, no 5xx
answer and no answer that breaks the service's schema.

Runs only where schemathesis is installed (it belongs in the workspace's dev dependencies);
without it the tests are skipped and say why.
"""

from __future__ import annotations

from typing import Any

import pytest

schemathesis = pytest.importorskip(
    "schemathesis",
    reason="schemathesis is not installed: add it to the workspace's dev dependencies",
)
from hypothesis import HealthCheck, given, settings  # noqa: E402 - once schemathesis is there

from mkservice.stack import Supervisor  # noqa: E402

SERVICES = ("orders", "inventory", "payments")
# Examples per operation: enough to find the classic crashes (huge numbers, odd unicode, empty
# and missing fields) in about a minute per service on a busy two-core machine.
MAX_EXAMPLES = 60


def checks() -> list[Any]:
    """No server error, and an answer (content type, body) that matches the schema."""
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        response_schema_conformance,
    )

    return [not_a_server_error, content_type_conformance, response_schema_conformance]


@pytest.mark.parametrize("service", SERVICES)
def test_no_input_makes_a_service_fail_or_break_its_schema(service: str, stack: Supervisor) -> None:
    base_url = stack.url(service)
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @settings(
            max_examples=MAX_EXAMPLES, deadline=None, database=None, derandomize=True,
            suppress_health_check=list(HealthCheck),
        )  # fmt: skip
        @given(case=operation.as_strategy())
        def run(case: Any) -> None:
            case.call_and_validate(base_url=base_url, checks=checks())

        try:
            run()
        except Exception as error:  # collect every operation's failure, then report them all
            failures.append(f"{operation.label}: {error}")
    assert not failures, "\n\n".join(failures)
