"""The console refuses a bad setting at start-up, naming its variable, and changes nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from mkservice.console.settings import ConsoleSettings


def start_console(**env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CONSOLE_")}
    return subprocess.run(
        [sys.executable, "-m", "mkservice.console", "serve"],
        env={**clean, **env}, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({}, "CONSOLE_SERVICES"),
        ({"CONSOLE_SERVICES": "orders"}, "CONSOLE_SERVICES"),
        ({"CONSOLE_SERVICES": json.dumps({"orders": "ftp://x"})}, "CONSOLE_SERVICES"),
        (
            {"CONSOLE_SERVICES": json.dumps({"orders": "http://x"}), "CONSOLE_PORT": "99999"},
            "CONSOLE_PORT",
        ),
        (
            {
                "CONSOLE_SERVICES": json.dumps({"orders": "http://x"}),
                "CONSOLE_TRACE_URL": "http://jaeger/trace",
            },
            "CONSOLE_TRACE_URL",
        ),  # fmt: skip
        # No login of its own: it is not served beyond this machine (docs/security.md).
        (
            {"CONSOLE_SERVICES": json.dumps({"orders": "http://x"}), "CONSOLE_HOST": "0.0.0.0"},
            "CONSOLE_HOST",
        ),
        (
            {"CONSOLE_SERVICES": json.dumps({"orders": "http://x"}), "CONSOLE_HOST": "10.0.0.7"},
            "CONSOLE_HOST",
        ),
    ],
)
def test_a_bad_setting_stops_start_up_naming_its_variable(env: dict[str, str], named: str):
    started = start_console(**env)
    assert started.returncode == 2
    assert named in started.stderr
    assert started.stderr.count("\n") == 1, started.stderr  # one sentence, no traceback


def test_an_unknown_command_is_refused_with_its_usage():
    started = subprocess.run(
        [sys.executable, "-m", "mkservice.console", "run"], capture_output=True, text=True
    )
    assert started.returncode == 2
    assert "usage: python -m mkservice.console serve" in started.stderr


def test_a_trace_link_fills_in_the_trace_id():
    settings = ConsoleSettings(
        services={"orders": "http://127.0.0.1:8001/"},
        trace_url="http://127.0.0.1:16686/trace/{trace_id}",
    )
    assert settings.trace_link("abc") == "http://127.0.0.1:16686/trace/abc"
    assert settings.trace_link(None) is None
    assert settings.sagas_url == "http://127.0.0.1:8001"  # the trailing slash is dropped
    assert ConsoleSettings(services={"orders": "http://x"}).trace_link("abc") is None


@pytest.mark.parametrize("host", ["127.0.0.1", "::1", "localhost", "127.0.0.2"])
def test_a_loopback_host_is_accepted(host: str) -> None:
    settings = ConsoleSettings(services={"orders": "http://x"}, host=host)

    assert settings.host == host
