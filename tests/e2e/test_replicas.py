"""``mkservice up --replicas N [--nats-cluster 3]`` as a user runs it: refused on SQLite before
anything starts; on throwaway PostgreSQL databases (``--postgres``), on one nats-server or on a
three-node cluster, every replica serves the checkout, and Ctrl-C stops them all."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import nats
import pytest
from chassis.auth.dev_issuer import DevIssuer
from chassis.processes import dies_with_parent
from chassis.settings import DATA_DIR_ENV

from mkservice.stack.dev_issuer import workspace_issuer
from mkservice_lab.client import CheckoutClient

REPO = Path(__file__).resolve().parents[2]
SCRIPT = Path(sys.executable).parent / "mkservice"
MKSERVICE = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "mkservice.cli"]
SERVICES = ("inventory", "orders", "payments")


@pytest.fixture
def run_up(
    tmp_path: Path, kill_processes_of: Callable[[Path], list[int]]
) -> Iterator[Callable[..., subprocess.Popen[str]]]:
    """``run_up(*args)``: ``mkservice up --no-seed --free-ports ARGS`` in the test's run folder
    (``tmp_path / "run"``), output piped; killed with everything it started when the test ends."""
    started: list[subprocess.Popen[str]] = []

    def run(*args: str) -> subprocess.Popen[str]:
        command = [
            *MKSERVICE,
            "up",
            "--no-seed",
            "--free-ports",
            "--run-dir",
            str(tmp_path / "run"),
        ]
        process = subprocess.Popen(
            [*command, *args], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True, preexec_fn=dies_with_parent(),
        )  # fmt: skip
        started.append(process)
        return process

    try:
        yield run
    finally:
        for process in started:
            if process.poll() is None:
                process.kill()
                process.wait()
        kill_processes_of(tmp_path / "run")


def read_until_ready(process: subprocess.Popen[str], timeout: float = 180) -> str:
    """What ``mkservice up`` printed up to its "Press Ctrl-C" line."""
    assert process.stdout is not None
    output, deadline = "", time.monotonic() + timeout
    while time.monotonic() < deadline and "Ctrl-C" not in output:
        line = process.stdout.readline()
        output += line
        assert line or process.poll() is None, output
    assert "Ctrl-C" in output, output
    return output


def replica_urls(output: str) -> dict[str, str]:
    """``{"orders": url, "orders-2": url, ...}`` from the lines ``up`` prints."""
    names = "|".join(SERVICES)
    return dict(re.findall(rf"^((?:{names})(?:-\d+)?) +(http://127\.0\.0\.1:\d+) ", output, re.M))


def test_refuses_replicas_on_sqlite_in_one_sentence_and_starts_nothing(
    run_up: Callable[..., subprocess.Popen[str]],
    processes_of: Callable[[Path], list[int]],
    tmp_path: Path,
) -> None:
    process = run_up("--replicas", "2")
    output, _ = process.communicate(timeout=60)

    assert process.returncode == 2, output
    message = output.strip()
    assert "\n" not in message and message.endswith("."), message
    assert "SQLite is one process per service" in message and "--postgres" in message
    assert not (tmp_path / "run" / "logs").exists(), "something was started"
    assert processes_of(tmp_path / "run") == []


def workspace_tokens() -> DevIssuer:
    """The issuer `mkservice up` signs with: the workspace's development key (as
    `mkservice token` uses it)."""
    return workspace_issuer(Path(os.environ.get(DATA_DIR_ENV) or REPO / ".data"))


async def stream_replicas(operator_urls: str) -> dict[str, int]:
    """Each stream's number of replicas, asked of the cluster as the operator."""
    client = await nats.connect(servers=operator_urls.split(","))
    try:
        return {
            info.config.name or "": info.config.num_replicas or 1
            for info in await client.jetstream().streams_info()
        }
    finally:
        await client.close()


@pytest.mark.postgres
@pytest.mark.parametrize("nodes", [1, 3], ids=["one-nats-server", "nats-cluster-of-3"])
async def test_every_orders_replica_checks_out_and_ctrl_c_stops_every_replica(
    nodes: int,
    run_up: Callable[..., subprocess.Popen[str]],
    processes_of: Callable[[Path], list[int]],
    unique: Callable[[str], str],
    tmp_path: Path,
) -> None:
    process = run_up("--replicas", "2", "--postgres", "--nats-cluster", str(nodes))
    output = read_until_ready(process)
    urls = replica_urls(output)

    assert set(urls) == {f"{s}{suffix}" for s in SERVICES for suffix in ("", "-2")}, urls
    assert len(set(urls.values())) == 6, urls
    async with httpx.AsyncClient(timeout=10) as http:
        for label, url in urls.items():
            assert (await http.get(f"{url}/health/ready")).status_code == 200, label
    # Six services and the nats-servers (and whatever they started), besides `up` itself.
    assert len([pid for pid in processes_of(tmp_path / "run") if pid != process.pid]) >= 6 + nodes
    if nodes > 1:
        [operator] = re.findall(rf"^nats-server x{nodes} +(\S+)", output, re.M)
        assert operator.count("nats://") == nodes, operator

    sku = unique("sku")
    for replica in ("orders", "orders-2"):
        # The other services' second replicas too, so both replicas of each take requests.
        second = replica.endswith("-2")
        through = {s: urls[f"{s}-2" if second else s] for s in SERVICES} | {"orders": urls[replica]}
        async with CheckoutClient(through, tokens=workspace_tokens()) as checkout:
            if not second:
                await checkout.create_product(sku, stock=5)
            order = await checkout.place_and_wait([{"sku": sku, "quantity": 1}], "tok_ok")
        assert order["status"] == "CONFIRMED", (replica, order)
    if nodes > 1:
        replicas = await stream_replicas(operator)
        assert replicas == {"INVENTORY": 3, "ORDERS": 3, "PAYMENTS": 3}, replicas

    process.send_signal(signal.SIGINT)
    rest, _ = process.communicate(timeout=90)

    assert process.returncode == 0, rest
    assert "Stopped cleanly." in rest
    assert processes_of(tmp_path / "run") == []
