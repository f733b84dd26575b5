"""The local stack's supervisor: it starts every service as a real process, works around ports
that are taken, restarts one service, and leaves nothing running when it stops."""

from __future__ import annotations

import logging
import socket
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import nats
import pytest
from chassis.testing import eventually

from mkservice.stack import StackError, Supervisor, discover_services, port_is_free

REPO = Path(__file__).resolve().parents[2]


def ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/health/ready", timeout=5) as response:
            return bool(response.status == 200)
    except OSError:
        return False


@pytest.fixture
def port_8001_taken() -> Iterator[None]:
    """Hold orders' registered port, unless something on this machine already does."""
    holder = socket.socket()
    # As a server binds: the last connections of an earlier stack may linger there in TIME_WAIT.
    holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        holder.bind(("127.0.0.1", 8001))
        holder.listen()
    except OSError:
        pass
    try:
        yield
    finally:
        holder.close()


def test_starts_every_service_and_nats_as_real_processes(stack: Supervisor) -> None:
    # Every service of the workspace: the reference checkout's, and any others beside them.
    assert set(stack.urls) == {spec.name for spec in discover_services(REPO)}
    assert {"inventory", "orders", "payments"} <= set(stack.urls)
    assert len(set(stack.urls.values())) == len(stack.urls)
    for name, url in stack.urls.items():
        assert ready(url), name
        assert stack.service(name).running
    assert stack.nats is not None and stack.nats.running
    assert stack.nats_url.startswith("nats://127.0.0.1:")


async def test_each_service_is_its_own_nats_user_kept_to_its_declared_subjects(
    stack: Supervisor,
) -> None:
    assert stack.nats_credentials is not None
    errors: list[str] = []

    async def collect(error: Exception) -> None:
        errors.append(str(error).lower())

    payments = await nats.connect(
        stack.nats_url, user="payments", password=stack.nats_credentials.password("payments"),
        error_cb=collect, allow_reconnect=False,
    )  # fmt: skip
    # The operator (tools, tests, the nats CLI) may do anything, and sees every stream.
    operator = await nats.connect(stack.operator_nats_url)
    try:
        allowed = await payments.subscribe("_INBOX.stack-probe")  # its inboxes: allowed
        await payments.subscribe("orders.evt.>")  # orders' events: not declared by payments
        await payments.flush()
        await operator.publish("_INBOX.stack-probe", b"probe")
        assert (await allowed.next_msg(timeout=5)).data == b"probe"
        await eventually(lambda: any('subscription to "orders.evt.>"' in e for e in errors), 5)
        assert all("permissions violation" in error for error in errors)

        streams = await operator.jetstream().streams_info()
        assert {"ORDERS", "INVENTORY", "PAYMENTS"} <= {stream.config.name for stream in streams}
    finally:
        await payments.close()
        await operator.close()
    # Without a user, nothing.
    with pytest.raises(Exception, match="(?i)authorization"):
        await nats.connect(stack.nats_url, allow_reconnect=False, max_reconnect_attempts=0)


def test_writes_each_service_log_to_the_run_folder(stack: Supervisor) -> None:
    for name, process in stack.services.items():
        assert process.log_file == stack.run_dir / "logs" / f"{name}.log"
        assert f"python -m {process.spec.package} serve --migrate" in process.log_file.read_text()
    assert (stack.run_dir / "logs" / "nats-server.log").is_file()


def test_picks_a_free_port_when_the_registered_one_is_taken_and_says_so(
    port_8001_taken: None,
    start_stack: Callable[..., Supervisor],
    caplog: pytest.LogCaptureFixture,
) -> None:
    assert not port_is_free(8001)

    with caplog.at_level(logging.WARNING, logger="mkservice.stack"):
        supervisor = start_stack(services=["orders"], prefer_registered_ports=True)

    orders = supervisor.service("orders")
    assert orders.port != 8001
    assert ready(orders.url)
    assert f"orders: its port 8001 is in use; it serves on {orders.port} instead" in caplog.text


def test_restarts_one_service_on_the_same_port_leaving_the_others_alone(
    stack: Supervisor,
) -> None:
    before = {name: process.pid for name, process in stack.services.items()}
    url = stack.url("inventory")

    stack.restart_service("inventory")

    assert stack.url("inventory") == url
    assert ready(url)
    assert stack.service("inventory").pid != before["inventory"]
    others = {name: stack.service(name).pid for name in ("orders", "payments")}
    assert others == {name: before[name] for name in ("orders", "payments")}


def test_a_killed_service_is_down_until_started_again(stack: Supervisor) -> None:
    stack.kill_service("payments")
    assert not stack.service("payments").running
    assert not ready(stack.url("payments"))

    stack.ensure_running()

    assert ready(stack.url("payments"))


def test_stops_every_service_then_nats_leaving_no_process_behind(
    start_stack: Callable[..., Supervisor], processes_of: Callable[[Path], list[int]]
) -> None:
    supervisor = start_stack()
    assert len(processes_of(supervisor.run_dir)) >= 4  # three services and nats-server
    urls = list(supervisor.urls.values())

    supervisor.stop()

    assert processes_of(supervisor.run_dir) == []
    assert not any(ready(url) for url in urls)
    assert supervisor.nats is not None and not supervisor.nats.running


def test_names_the_service_that_cannot_start_and_shows_its_log(
    start_stack: Callable[..., Supervisor],
    processes_of: Callable[[Path], list[int]],
    tmp_path: Path,
) -> None:
    with pytest.raises(StackError) as failure:
        start_stack(services=["payments"], env={"PAYMENTS_CONSUMER_MAX_DELIVER": "many"})

    message = str(failure.value)
    assert "service payments exited" in message
    assert "PAYMENTS_CONSUMER_MAX_DELIVER" in message  # the service's own sentence, from its log
    assert processes_of(tmp_path) == []


def test_starts_again_after_a_full_stop_on_the_same_ports(
    start_stack: Callable[..., Supervisor],
) -> None:
    supervisor = start_stack(services=["payments"])
    urls, nats_url = supervisor.urls, supervisor.nats_url
    supervisor.stop()

    supervisor.start()

    assert supervisor.urls == urls and supervisor.nats_url == nats_url
    assert ready(supervisor.url("payments"))


def test_refuses_a_run_folder_that_a_running_stack_uses(
    start_stack: Callable[..., Supervisor],
) -> None:
    running = start_stack(services=["payments"])
    second = Supervisor(running.specs, running.run_dir)

    with pytest.raises(StackError, match="another stack is running in"):
        second.start()

    assert ready(running.url("payments"))
