"""Bad configuration at startup: a clear message naming the setting, never a traceback; and a
broker that cannot be reached never stops orders from accepting orders."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from chassis.testing import NatsServer, TestIssuer, free_port
from sqlalchemy.engine import make_url

REPO = Path(__file__).resolve().parents[2]
SERVICES = [("orders", "ORDERS"), ("inventory", "INVENTORY"), ("payments", "PAYMENTS")]

BAD_SETTINGS = [
    ("DATABASE_URL", "nonsense", "is not a database URL"),
    ("DATABASE_URL", "mysql://user@127.0.0.1/shop", "unknown database scheme"),
    ("DATABASE_URL", "sqlite://", "needs a file path"),
    ("NATS_URL", "http://127.0.0.1:4222", "is not a NATS URL"),
    ("PORT", "eighty", "PORT"),
]


def run_service(package: str, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", package, *args], env={**os.environ, **env}, cwd=REPO,
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def assert_refused(
    package: str, env: dict[str, str], variable: str, words: str, command: str = "serve"
) -> None:
    finished = run_service(package, env, command)
    assert finished.returncode == 2, finished.stderr
    assert variable in finished.stderr
    assert words in finished.stderr
    assert "Traceback" not in finished.stderr


@pytest.mark.parametrize(("field", "value", "words"), BAD_SETTINGS, ids=lambda v: str(v)[:20])
def test_orders_refuses_a_bad_setting_naming_it(
    field: str, value: str, words: str, tmp_path: Path
) -> None:
    env = {"MKSERVICE_DATA_DIR": str(tmp_path), f"ORDERS_{field}": value}
    assert_refused("orders", env, f"ORDERS_{field}", words)


@pytest.mark.parametrize(("package", "prefix"), SERVICES[1:], ids=[s[0] for s in SERVICES[1:]])
def test_every_service_refuses_an_unparseable_database_url(
    package: str, prefix: str, tmp_path: Path
) -> None:
    env = {"MKSERVICE_DATA_DIR": str(tmp_path), f"{prefix}_DATABASE_URL": "nonsense"}
    assert_refused(package, env, f"{prefix}_DATABASE_URL", "is not a database URL")


@pytest.mark.parametrize(("package", "prefix"), SERVICES, ids=[s[0] for s in SERVICES])
@pytest.mark.parametrize("missing", ["AUTH_ISSUER", "AUTH_JWKS_URL"])
def test_every_service_refuses_to_serve_without_its_token_issuer(
    package: str, prefix: str, missing: str, tmp_path: Path, test_issuer: TestIssuer
) -> None:
    env = {**test_issuer.env(f"{prefix}_"), "MKSERVICE_DATA_DIR": str(tmp_path),
           f"{prefix}_{missing}": ""}  # fmt: skip
    finished = run_service(package, env, "serve", "--migrate")

    assert finished.returncode == 2, finished.stderr
    assert f"{prefix}_{missing} is not set" in finished.stderr
    assert "Traceback" not in finished.stderr


def test_orders_accepts_orders_while_the_broker_is_unreachable(
    tmp_path: Path, test_issuer: TestIssuer
) -> None:
    """Started with no broker at its URL, orders is ready (degraded) and answers 202; once a
    broker appears there, the order's first command goes out (the outbox drains)."""
    nats_port, http_port = free_port(), free_port()
    env = {
        "ORDERS_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'orders.db'}",
        "ORDERS_NATS_URL": f"nats://127.0.0.1:{nats_port}",
        "ORDERS_PORT": str(http_port),
        **test_issuer.env("ORDERS_"),
    }
    log = open(tmp_path / "orders.log", "wb")  # noqa: SIM115 - the child writes it
    process = subprocess.Popen(
        [sys.executable, "-m", "orders", "serve", "--migrate"], env={**os.environ, **env},
        cwd=REPO, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    broker: NatsServer | None = None
    base = f"http://127.0.0.1:{http_port}"
    try:
        readiness = _wait_ready(base, process)
        assert readiness["broker"] == "disconnected"
        assert readiness["status"] == "degraded"
        body = {"lines": [{"sku": "sku-x", "quantity": 1}], "payment_token": "tok_ok"}
        accepted = httpx.post(f"{base}/orders", json=body, timeout=10,
                              headers=test_issuer.headers("c-1"))  # fmt: skip
        assert accepted.status_code == 202, accepted.text
        assert accepted.json()["status"] == "PENDING"

        log.flush()
        output = (tmp_path / "orders.log").read_text(errors="replace")
        assert "Traceback" not in output

        broker = NatsServer(tmp_path / "nats", port=nats_port).start()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if httpx.get(f"{base}/health/ready", timeout=5).json()["broker"] == "connected":
                break
            time.sleep(0.2)
        else:
            pytest.fail("orders never connected to the broker that appeared at its URL")
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()
        if broker is not None:
            broker.kill()


def test_names_the_setting_of_an_unreachable_broker(
    tmp_path: Path, test_issuer: TestIssuer
) -> None:
    """Orders serves without its broker, and its log says which setting points where."""
    http_port = free_port()
    env = {
        "ORDERS_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'orders.db'}",
        "ORDERS_NATS_URL": f"nats://127.0.0.1:{free_port()}",
        "ORDERS_PORT": str(http_port),
        **test_issuer.env("ORDERS_"),
    }
    with open(tmp_path / "orders.log", "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "orders", "serve", "--migrate"], env={**os.environ, **env},
            cwd=REPO, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            _wait_ready(f"http://127.0.0.1:{http_port}", process)
            time.sleep(3)
        finally:
            process.terminate()
            process.wait(timeout=30)
    output = (tmp_path / "orders.log").read_text(errors="replace")
    assert "ORDERS_NATS_URL" in output
    assert env["ORDERS_NATS_URL"] in output


def _wait_ready(base: str, process: subprocess.Popen[bytes]) -> dict[str, str]:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        assert process.poll() is None, "orders exited while the broker was unreachable"
        try:
            response = httpx.get(f"{base}/health/ready", timeout=5)
            if response.status_code == 200:
                body: dict[str, str] = response.json()
                return body
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    pytest.fail("orders was not ready within 90s with an unreachable broker")


def test_names_the_setting_of_a_database_that_cannot_be_opened(tmp_path: Path) -> None:
    (tmp_path / "not-a-folder").write_text("")
    url = f"sqlite:///{tmp_path / 'not-a-folder' / 'orders.db'}"
    assert_refused(
        "orders", {"ORDERS_DATABASE_URL": url}, "ORDERS_DATABASE_URL", "orders.db", "migrate"
    )


@pytest.mark.postgres
def test_names_the_setting_of_a_missing_postgres_database(
    database_url_for: Callable[[str], str],
) -> None:
    url = make_url(database_url_for("orders")).set(database="no_such_database")
    env = {"ORDERS_DATABASE_URL": url.render_as_string(hide_password=False)}
    assert_refused("orders", env, "ORDERS_DATABASE_URL", "no_such_database", "migrate")


def _migrate_inventory(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "inventory", "migrate"],
        env={**os.environ, "INVENTORY_DATABASE_URL": f"sqlite:///{tmp_path / 'inv.db'}", **env},
        cwd=REPO, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_logs_are_json_lines_when_not_a_terminal_and_text_when_asked(tmp_path: Path) -> None:
    by_default = _migrate_inventory(tmp_path)
    assert by_default.returncode == 0, by_default.stderr
    lines = [json.loads(line) for line in by_default.stderr.splitlines() if line.strip()]
    assert lines and {line["service"] for line in lines} == {"inventory"}
    assert any("INVENTORY_DATABASE_URL" in line["message"] for line in lines)

    as_text = _migrate_inventory(tmp_path, INVENTORY_LOG_FORMAT="text")
    assert as_text.stderr.startswith("inventory INFO chassis.service: database ")


def test_an_unknown_log_format_is_refused_by_name(tmp_path: Path) -> None:
    refused = _migrate_inventory(tmp_path, INVENTORY_LOG_FORMAT="yaml")

    assert refused.returncode == 2
    assert "INVENTORY_LOG_FORMAT" in refused.stderr
    assert not (tmp_path / "inv.db").exists()  # nothing was migrated
