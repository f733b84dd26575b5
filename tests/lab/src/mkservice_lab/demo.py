"""The checkout demo (``mkservice demo``, ``make demo``): one order of each outcome, end to end.

The stack runs on SQLite in a fresh run folder with short deadlines, so the timed-out order
takes seconds: the saga gives each step ``ORDERS_SAGA_STEP_TIMEOUT_S`` seconds, and the payment
gateway answers the slow token only after ``PAYMENTS_GATEWAY_SLOW_DELAY_S``, past that deadline,
so the saga compensates: the final payments table shows that payment cancelled or refunded.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.status import Status

from mkservice.stack.discovery import DiscoveryError, discover_services
from mkservice.stack.process import StackError
from mkservice.stack.render import print_services
from mkservice.stack.signals import stop_signals_interrupt
from mkservice.stack.supervisor import Supervisor
from mkservice_lab.client import (
    TERMINAL_STATUSES,
    CheckoutClient,
    CheckoutError,
    Order,
    TokenSource,
    replica_urls,
)
from mkservice_lab.render import records_table, short_id, status_text, timeline_table

STEP_TIMEOUT_S = 3
SLOW_DELAY_S = 6
DEMO_ENV = {
    "ORDERS_SAGA_STEP_TIMEOUT_S": str(STEP_TIMEOUT_S),
    "PAYMENTS_GATEWAY_SLOW_DELAY_S": str(SLOW_DELAY_S),
}
# Inventory must be migrated before its catalogue is seeded; then it serves.
DEMO_PREPARE = {"inventory": [["migrate"], ["seed"]]}
SKU = "sku-lamp"
STOCK_COLUMNS = ("sku", "available", "reserved", "sold")
ORDERS_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class DemoOrder:
    label: str
    expected: str
    quantity: int
    token: str


def demo_orders(stock: int | None) -> list[DemoOrder]:
    """The four orders; the out-of-stock one asks for more lamps than the catalogue holds."""
    too_many = max(1000, (stock or 0) + 1)
    return [
        DemoOrder("confirmed", "CONFIRMED", 1, "tok_ok"),
        DemoOrder("out of stock", "REJECTED", too_many, "tok_ok"),
        DemoOrder("payment declined", "REJECTED", 1, "tok_decline"),
        DemoOrder("payment timed out", "REJECTED", 1, "tok_slow"),
    ]


def _progress(status: Status, labels: Mapping[str, str]) -> Any:
    def show(latest: dict[str, Order]) -> None:
        pending = [labels[i] for i, o in latest.items() if o.get("status") not in TERMINAL_STATUSES]
        done = len(latest) - len(pending)
        status.update(f"Sagas running: {done}/{len(latest)} done; PENDING: {', '.join(pending)}")

    return show


async def play(
    console: Console,
    urls: Mapping[str, str | Sequence[str]],
    transport: httpx.AsyncBaseTransport | None = None,
    tokens: TokenSource | None = None,
) -> bool:
    """Place the orders, wait for their sagas, print what happened; whether all came out right.
    ``tokens`` (the stack) mints the customer's and the operator's bearer tokens."""
    async with CheckoutClient(urls, transport=transport, tokens=tokens) as client:
        before = await client.products()
        console.print(records_table("Stock before", before, STOCK_COLUMNS))
        lamp = next((p for p in before if p.get("sku") == SKU), {})
        started = time.monotonic()
        placed = [await _place(console, client, o) for o in demo_orders(lamp.get("available"))]
        labels = {accepted["id"]: order.label for order, accepted in placed}
        if not client.trace_ids:
            console.print(
                "No traces: set OTEL_EXPORTER_OTLP_ENDPOINT to export them, and each order's "
                "trace id is printed here (docs/observability.md)."
            )
        with console.status("Sagas running...") as status:
            final = await client.wait_terminal(
                list(labels), timeout=ORDERS_TIMEOUT_S, on_progress=_progress(status, labels)
            )
        console.print(f"All four sagas finished {time.monotonic() - started:.1f}s after placing.")
        for order, accepted in placed:
            console.print(timeline_table(order.label, final[accepted["id"]], order.expected))
        with console.status("Waiting until no payment is pending..."):
            products, payments = await _settle(client)
        console.print()
        console.print(records_table("Stock after", products, STOCK_COLUMNS))
        _print_payments(console, payments, labels)
        return _verdict(console, placed, final)


async def _place(
    console: Console, client: CheckoutClient, order: DemoOrder
) -> tuple[DemoOrder, Order]:
    lines = [{"sku": SKU, "quantity": order.quantity}]
    key = f"demo-{order.label.replace(' ', '-')}"  # a fresh database each run: keys never clash
    accepted = await client.place_order(lines, order.token, idempotency_key=key)
    trace = client.trace_ids.get(accepted["id"])
    console.print(
        f"Placed order {short_id(accepted['id'])} ([bold]{order.label}[/]: "
        f"{order.quantity} x {SKU}, {order.token})", status_text(accepted.get("status")),
        f"trace {trace}" if trace else "",
    )  # fmt: skip
    return order, accepted


def _print_payments(
    console: Console, payments: list[dict[str, Any]] | None, labels: Mapping[str, str]
) -> None:
    if payments is None:
        console.print("[yellow]payments answers no GET /payments; no payments table.[/]")
        return
    for payment in payments:  # name the demo order each payment is for
        order_id = str(payment.get("order_id"))
        payment["order_id"] = f"{short_id(order_id)} {labels.get(order_id, '?')}"
    first = ("order_id", "status", "amount_cents", "refunded_cents", "reason")
    omit = ("payment_id", "settle_after", "created_at", "updated_at")
    console.print(records_table("Payments", payments, first, omit))


async def _settle(
    client: CheckoutClient, *, timeout: float = 20.0
) -> tuple[list[dict[str, Any]], list[dict[str, Any]] | None]:
    """Stock and payments once no payment is pending and two reads agree: the timed-out
    order's compensation (cancel or refund the late payment) may finish after its saga did."""
    deadline = time.monotonic() + timeout
    previous: tuple[Any, Any] | None = None
    while True:
        try:
            payments: list[dict[str, Any]] | None = await client.payments()
        except CheckoutError:
            payments = None
        snapshot = (await client.products(), payments)
        unsettled = any(p.get("status") == "PENDING" for p in payments or [])
        if (snapshot == previous and not unsettled) or time.monotonic() > deadline:
            return snapshot
        previous = snapshot
        await asyncio.sleep(0.5)


def _verdict(
    console: Console, placed: list[tuple[DemoOrder, Order]], final: dict[str, Order]
) -> bool:
    wrong = [(o, final[a["id"]].get("status")) for o, a in placed]
    wrong = [(order, got) for order, got in wrong if got != order.expected]
    for order, got in wrong:
        console.print(f"[bold red]{order.label}: expected {order.expected}, got {got}[/]")
    if not wrong:
        console.print("[bold green]Every order reached its expected outcome.[/]")
    return not wrong


def _tell_console(console: Console, url: str | None, stay: bool) -> None:
    if url is None:
        return
    until = "until Ctrl-C" if stay else "while the demo runs (--stay keeps it up afterwards)"
    console.print(f"Saga console: {url}/sagas {until}", soft_wrap=True, highlight=False)


def _stay(console: Console, url: str | None) -> None:
    """Serve on after the demo until Ctrl-C (which stops the stack as usual)."""
    console.print(f"The stack runs on: {url}/sagas. Press Ctrl-C to stop.", soft_wrap=True,
                  highlight=False)  # fmt: skip
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        return


def run_demo(console: Console, repo: Path, *, keep: bool = False, stay: bool = False) -> int:
    """Start the stack in a fresh run folder, play the demo, stop everything; the exit code.
    With ``stay`` the stack (and the saga console) runs on after the demo until Ctrl-C.

    The run folder (logs, databases) is removed after a successful run unless ``keep``, and kept
    after a failure so its logs can be read.
    """
    try:
        specs = discover_services(repo)
    except DiscoveryError as error:
        console.print(f"[bold red]No stack to run:[/] {error}", highlight=False)
        return 2
    run_dir = Path(tempfile.mkdtemp(prefix="mkservice-demo-"))
    supervisor = Supervisor(
        specs, run_dir, env=DEMO_ENV, prepare=DEMO_PREPARE, cwd=repo, console=True
    )
    ok = False
    try:
        with stop_signals_interrupt():
            names = ", ".join(spec.name for spec in specs)
            begun = time.monotonic()
            with console.status(f"Starting nats-server and {names} (migrate, seed, serve)..."):
                supervisor.start()
            console.print(f"The stack is ready ({time.monotonic() - begun:.1f}s).")
            print_services(console, supervisor)
            _tell_console(console, supervisor.console_url, stay)
            try:
                ok = asyncio.run(play(console, replica_urls(supervisor), tokens=supervisor))
                if stay:
                    _stay(console, supervisor.console_url)
            finally:
                with console.status("Stopping the services, then nats-server..."):
                    supervisor.stop()
    except KeyboardInterrupt:
        console.print(f"Interrupted; the stack is stopped. Logs: {supervisor.logs_dir}")
        return 130
    except (StackError, CheckoutError, TimeoutError) as error:
        console.print(f"[bold red]The demo failed:[/] {error}", highlight=False)
    if ok and not keep:
        shutil.rmtree(run_dir, ignore_errors=True)
        console.print("Stopped cleanly; the demo's run folder is removed.")
    else:
        console.print(f"Stopped. Logs: {supervisor.logs_dir} (each service's output is there).")
    return 0 if ok else 1
