"""The end-to-end harness: every service and a nats-server as real processes, through the same
:class:`mkservice.stack.Supervisor` that ``mkservice up`` and ``make demo`` use.

Fixtures
--------
``stack``
    The running stack (a ``Supervisor``), shared by the tests of one module: starting three
    services takes several seconds, so it happens once per module, not once per test. Before each
    test, any service a previous test stopped or killed is started again, so a test may
    ``stack.stop_service(name)``, ``kill_service``, ``start_service`` and ``restart_service`` at
    will. The data is shared within the module: create your own products (``unique("sku")``)
    and never assume empty tables. ``stack.url("orders")`` is a service's base URL,
    ``stack.service("orders").log_file`` its log; on a failure each log's tail is printed.
``checkout``
    A :class:`mkservice_lab.client.CheckoutClient` on ``stack``: ``create_product``,
    ``place_order``, ``place_and_wait``, ``wait_terminal``, ``get_order``, ``product``,
    ``products``, ``payment``, ``payments``.
``start_stack``
    ``start_stack(services=None, env=None, seed=False, prefer_registered_ports=False)``: a stack
    of the test's own (other settings, a subset of services), stopped when the test ends.
``stack_options``
    Module-scoped; override it in a test module to start the shared stack differently, e.g.
    ``return {"seed": True, "env": {"ORDERS_SAGA_STEP_TIMEOUT_S": "1"}}``.
``processes_of``
    ``processes_of(run_dir)``: the pids of every process still running of a stack (Linux).
``kill_processes_of``
    ``kill_processes_of(run_dir)``: SIGKILL them; for finalizers, after the polite way failed.
``unique``
    ``unique("sku")`` is ``"sku-<8 hex digits>"``, new on every call.

Modes: SQLite by default (one file per service in the run folder). With
``MKSERVICE_TEST_DB=postgres`` each service gets its own role and database on the server at
``MKSERVICE_TEST_POSTGRES_URL`` (chassis ``PostgresSandbox``), dropped afterwards.

Example::

    async def test_confirms_an_order_in_stock(checkout, unique):
        sku = unique("sku")
        await checkout.create_product(sku, stock=5)
        order = await checkout.place_and_wait([{"sku": sku, "quantity": 1}], "tok_ok")
        assert order["status"] == "CONFIRMED"
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from chassis.testing import PostgresSandbox

from mkservice.stack import Supervisor, discover_services, log_tail
from mkservice_lab.client import CheckoutClient, replica_urls

REPO = Path(__file__).resolve().parents[2]

# Short deadlines so that a timed-out payment takes seconds. The step timeout stays above what a
# normal step takes on a loaded two-core CI machine; the slow token answers well after it.
E2E_ENV = {
    "ORDERS_SAGA_STEP_TIMEOUT_S": "3",
    "ORDERS_SAGA_SWEEP_INTERVAL_S": "0.2",
    "PAYMENTS_GATEWAY_SLOW_DELAY_S": "5",
    "PAYMENTS_SETTLE_POLL_INTERVAL_S": "0.2",
}


class StackLauncher:
    """Starts stacks under one folder, each with fresh databases; stops them all in ``close``."""

    def __init__(self, base_dir: Path, sandbox: PostgresSandbox | None) -> None:
        self.base_dir = base_dir
        self.sandbox = sandbox
        self._started: list[tuple[Supervisor, list[str]]] = []

    def start(
        self,
        *,
        services: list[str] | None = None,
        env: dict[str, str] | None = None,
        seed: bool = False,
        prefer_registered_ports: bool = False,
        console: bool = False,
    ) -> Supervisor:
        """Start a stack and return it once every service is ready.

        Ports are free ones unless ``prefer_registered_ports``: a developer's stack or another
        suite may hold 8001-8003 while the tests run.
        """
        specs = discover_services(REPO, only=services)
        databases = {s.name: self.sandbox.database(s.name) for s in specs} if self.sandbox else {}
        urls = {name: database.url for name, database in databases.items()}
        seeding = seed and any(spec.name == "inventory" for spec in specs)
        supervisor = Supervisor(
            specs,
            self.base_dir / f"stack-{len(self._started) + 1}",
            database_urls=urls,
            migration_database_urls={n: d.migration_url for n, d in databases.items()},
            env={**E2E_ENV, **(env or {})},
            prepare={"inventory": [["migrate"], ["seed"]]} if seeding else None,
            prefer_registered_ports=prefer_registered_ports,
            ready_timeout=90,  # three services importing at once on two slow cores
            cwd=REPO,
            console=console,
        )
        self._started.append((supervisor, list(urls.values())))
        return supervisor.start()

    def close(self) -> None:
        """Stop every stack started, each even when stopping another failed; whatever did not
        stop is killed."""
        errors: list[BaseException] = []
        for supervisor, urls in reversed(self._started):
            try:
                supervisor.stop()
            except BaseException as error:  # stop the others first; raised below
                errors.append(error)
            finally:
                if Path("/proc").is_dir():
                    kill_processes_of(supervisor.run_dir)
            for url in urls:
                if self.sandbox is not None:
                    self.sandbox.drop_database(url)
        self._started.clear()
        if errors:
            raise errors[0]


def processes_of(run_dir: Path) -> list[int]:
    """Every process whose command line or environment names ``run_dir``: nats-server (its
    store) and each service (MKSERVICE_DATA_DIR), including anything they started."""
    needle = str(run_dir).encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            seen = (entry / "cmdline").read_bytes() + (entry / "environ").read_bytes()
        except OSError:  # gone meanwhile, or not ours to read
            continue
        if needle in seen:
            found.append(int(entry.name))
    return found


def kill_processes_of(run_dir: Path) -> list[int]:
    """SIGKILL every process of ``processes_of(run_dir)``; the pids it killed."""
    killed = []
    for pid in processes_of(run_dir):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)
    return killed


def print_logs(supervisor: Supervisor) -> None:
    """Each service's log tail (pytest shows it under the failing test's captured output)."""
    for name, process in supervisor.services.items():
        print(f"----- {name}: {process.log_file}\n{log_tail(process.log_file, 40)}")


@pytest.fixture(scope="module")
def stack_options() -> dict[str, Any]:
    """Keyword arguments of ``StackLauncher.start`` for the module's shared stack."""
    return {}


@pytest.fixture(scope="module")
def _shared_stack(
    tmp_path_factory: pytest.TempPathFactory,
    postgres_sandbox: PostgresSandbox | None,
    stack_options: dict[str, Any],
) -> Iterator[Supervisor]:
    launcher = StackLauncher(tmp_path_factory.mktemp("e2e"), postgres_sandbox)
    try:
        yield launcher.start(**stack_options)
    finally:
        launcher.close()


@pytest.fixture
def stack(_shared_stack: Supervisor, request: pytest.FixtureRequest) -> Iterator[Supervisor]:
    _shared_stack.ensure_running()
    yield _shared_stack
    if _failed(request):
        print_logs(_shared_stack)


@pytest.fixture
def start_stack(
    tmp_path: Path, postgres_sandbox: PostgresSandbox | None, request: pytest.FixtureRequest
) -> Iterator[Callable[..., Supervisor]]:
    launcher = StackLauncher(tmp_path, postgres_sandbox)
    try:
        yield launcher.start
        if _failed(request):
            for supervisor, _ in launcher._started:
                print_logs(supervisor)
    finally:
        launcher.close()


@pytest.fixture
async def checkout(stack: Supervisor) -> AsyncIterator[CheckoutClient]:
    # Every replica in turn, with tokens this stack's issuer mints.
    async with CheckoutClient(replica_urls(stack), tokens=stack) as client:
        yield client


@pytest.fixture(name="processes_of")
def _processes_of() -> Callable[[Path], list[int]]:
    """``processes_of(run_dir)``: what is still running of a stack (Linux: reads /proc)."""
    if not Path("/proc").is_dir():
        pytest.skip("needs /proc")
    return processes_of


@pytest.fixture(name="kill_processes_of")
def _kill_processes_of() -> Callable[[Path], list[int]]:
    """``kill_processes_of(run_dir)``: SIGKILL what is still running of a stack (Linux)."""
    if not Path("/proc").is_dir():
        pytest.skip("needs /proc")
    return kill_processes_of


@pytest.fixture
def unique() -> Callable[[str], str]:
    return lambda prefix: f"{prefix}-{secrets.token_hex(4)}"


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    # Kept on the item so that fixtures can tell, in their teardown, whether the test failed.
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


def _failed(request: pytest.FixtureRequest) -> bool:
    report = getattr(request.node, "report_call", None)
    return bool(report is not None and report.failed)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """One line, once, when the browser tests were skipped for want of Chromium."""
    from e2e.browser import HOW_TO_GET_IT, chromium_path

    if chromium_path() is None and terminalreporter.stats.get("skipped"):
        # `mkservice test` (make test) shows this line even though the suite passes.
        terminalreporter.write_line(f"mkservice note: skipped browser tests: {HOW_TO_GET_IT}.")
