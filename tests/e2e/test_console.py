"""The saga console in a real browser (Debian's chromium, driven by Playwright), on a real stack.

Each test watches what a user would: the four demo orders' outcomes appearing without a reload,
a rejected order's compensations in the order they ran, a poison message parked, replayed once
its cause is fixed and its effect seen once; and the pages at 1280 and 390 pixels wide, every
control labelled and usable from the keyboard. Screenshots are kept in
``<repo>/.data/test-output/console`` (or ``$MKSERVICE_TEST_OUTPUT/console``).
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import nats
import pytest
from chassis import Envelope
from e2e.browser import HOW_TO_GET_IT, chromium_path, output_dir

from mkservice.stack import Supervisor
from mkservice_lab.client import CheckoutClient, replica_urls

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = chromium_path()
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason=HOW_TO_GET_IT)
RESERVE_STOCK = "inventory.reserve-stock"
OUTCOME_WAIT_MS = 45_000


@pytest.fixture(scope="module")
def stack_options() -> dict[str, Any]:
    # A handler that fails is retried once, then parked: the poison test takes seconds.
    env = {"INVENTORY_CONSUMER_MAX_DELIVER": "2", "INVENTORY_CONSUMER_BACKOFF_S": "[0.2]"}
    return {"console": True, "env": env}


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        yield context.new_page()
    finally:
        context.close()


def console_url(stack: Supervisor) -> str:
    assert stack.console_url is not None, "the stack was started without its console"
    return stack.console_url


def run(coroutine: Any) -> Any:
    """The checkout client is async; these tests are not: Playwright's sync API keeps an event
    loop of its own running in this thread, so the coroutine runs in another."""
    with ThreadPoolExecutor(1) as thread:
        return thread.submit(asyncio.run, coroutine).result()


async def place_demo_orders(stack: Supervisor, sku: str) -> dict[str, str]:
    """The demo's four orders on a product of their own: outcome label -> order id."""
    async with CheckoutClient(replica_urls(stack), tokens=stack) as client:
        await client.create_product(sku, stock=3)
        tokens = {"confirmed": (1, "tok_ok"), "out of stock": (50, "tok_ok"),
                  "declined": (1, "tok_decline"), "timed out": (1, "tok_slow")}  # fmt: skip
        placed = {}
        for label, (quantity, token) in tokens.items():
            order = await client.place_order([{"sku": sku, "quantity": quantity}], token,
                                             customer_id=f"c-{sku}")  # fmt: skip
            placed[label] = order["id"]
        return placed


def test_the_demo_orders_outcomes_appear_without_a_reload(stack, page, unique):
    page.goto(console_url(stack) + "/sagas")
    page.evaluate("window.__notReloaded = true")
    sku = unique("sku")
    placed = run(place_demo_orders(stack, sku))
    expected = {"confirmed": "confirmed", "out of stock": "rejected", "declined": "rejected",
                "timed out": "rejected"}  # fmt: skip
    for label, order_id in placed.items():
        badge = page.locator(f'tr[data-order-id="{order_id}"] .badge')
        badge.wait_for(timeout=OUTCOME_WAIT_MS)
        page.wait_for_function(
            "([id, text]) => { const b = document.querySelector(`tr[data-order-id=\"${id}\"] "
            ".badge`); return b && b.textContent.trim() === text; }",
            arg=[order_id, expected[label]], timeout=OUTCOME_WAIT_MS,
        )  # fmt: skip
    assert page.evaluate("window.__notReloaded") is True, "the page was reloaded"
    reason = page.locator(f'tr[data-order-id="{placed["out of stock"]}"] td').nth(4)
    assert "out of stock" in reason.inner_text()
    page.screenshot(path=output_dir(REPO) / "sagas-1280.png", full_page=True)

    # Search by customer: only this test's four orders.
    page.get_by_label("Order or customer id").fill(f"c-{sku}")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url(re.compile(r"q=c-"))
    assert page.locator("tr.saga").count() == 4


def test_a_rejected_order_shows_its_compensations_in_order(stack, page, unique):
    placed = run(place_demo_orders(stack, unique("sku")))
    order_id = placed["timed out"]  # charged too late: refund, then release
    page.goto(console_url(stack) + "/sagas?filter=rejected")
    link = page.get_by_role("link", name=order_id)
    link.wait_for(timeout=OUTCOME_WAIT_MS)
    link.click()
    page.wait_for_url(re.compile(order_id))
    assert page.locator("#outcome").inner_text() == "rejected"
    assert "timed out" in page.locator("#reason").inner_text()
    steps = [c.inner_text() for c in page.locator("#compensations tbody tr td:nth-child(2)").all()]
    assert steps == ["refund payment", "release stock"]
    statuses = page.locator("#compensations .badge").all_inner_texts()
    assert statuses == ["succeeded", "succeeded"]
    # The diagram marks where the saga ended; the messages carry their ids.
    assert page.locator('.saga-diagram .current[data-state="REJECTED"]').count() == 1
    ids = page.locator("#messages .message-id").all_inner_texts()
    assert len(ids) >= 6 and len(set(ids)) == len(ids)
    page.screenshot(path=output_dir(REPO) / "saga-timed-out-1280.png", full_page=True)


def test_a_parked_message_is_replayed_once_after_its_cause_is_fixed(stack, page, unique):
    sku = unique("sku")
    replayed_order, discarded_order = (f"poison-{uuid.uuid4().hex[:8]}" for _ in range(2))
    run(_create(stack, sku, stock=5))
    # A bug: inventory fails every reserve-stock. Its consumer retries once, then parks it.
    inventory = stack.service("inventory")
    inventory.env["INVENTORY_FAILING_MESSAGE_TYPES"] = f'["{RESERVE_STOCK}"]'
    stack.restart_service("inventory")
    envelope = run(_send_reserve(stack, replayed_order, sku))
    run(_send_reserve(stack, discarded_order, sku))
    page.goto(console_url(stack) + "/dead-letters")
    to_replay = _parked_row(page, replayed_order)
    to_discard = _parked_row(page, discarded_order)
    _wait_for_rows(page, to_replay, to_discard)
    assert "failed 2 times" in to_replay.inner_text()
    to_replay.get_by_role("link").click()
    assert page.locator("#message-id").inner_text() == envelope.id
    assert page.locator("#original-subject").inner_text() == "inventory.cmd.reserve-stock"
    assert replayed_order in page.locator("pre.body").inner_text()
    assert run(_reserved(stack, sku)) == 0  # nothing of either happened
    detail_url = page.url

    # The fix is deployed: inventory starts without the bug. Replay from the page.
    del inventory.env["INVENTORY_FAILING_MESSAGE_TYPES"]
    stack.restart_service("inventory")
    page.get_by_role("button", name="Replay").click()
    page.wait_for_url(re.compile(r"/dead-letters\?done="))
    assert "replayed to inventory.cmd.reserve-stock" in page.locator(".done").inner_text()
    run(_wait_reserved(stack, sku, 2))

    # Again, from the stale page: refused politely; the stock is reserved once.
    page.goto(detail_url)
    assert "It was replayed at" in page.locator("main").inner_text()
    assert page.get_by_role("button", name="Replay").count() == 0
    again = page.request.post(detail_url + "/replay")
    assert again.status == 409
    assert "already replayed" in again.text()

    # The other one is not wanted: discarded, with the reason on record.
    page.goto(console_url(stack) + "/dead-letters")
    _parked_row(page, discarded_order).get_by_role("link").click()
    page.get_by_label("Why discard it").fill("test order, never placed")
    page.get_by_role("button", name="Discard").click()
    page.wait_for_url(re.compile(r"/dead-letters\?done="))
    assert _parked_row(page, discarded_order).count() == 0
    recorded = page.locator("#actions tbody tr", has_text="discarded").first.inner_text()
    assert "test order, never placed" in recorded
    page.screenshot(path=output_dir(REPO) / "dead-letters-1280.png", full_page=True)
    assert run(_reserved(stack, sku)) == 2, "the discarded reserve did nothing"


def test_pages_fit_1280_and_390_pixels_and_work_from_the_keyboard(stack, browser, unique):
    placed = run(place_demo_orders(stack, unique("sku")))
    for width in (1280, 390):
        context = browser.new_context(viewport={"width": width, "height": 900})
        page = context.new_page()
        page.goto(console_url(stack) + "/sagas")
        assert _overflow(page) == 0, f"the list scrolls sideways at {width} px"
        _every_control_is_labelled(page)
        page.screenshot(path=output_dir(REPO) / f"sagas-{width}.png", full_page=True)
        page.goto(f"{console_url(stack)}/sagas/{placed['declined']}")
        assert _overflow(page) == 0, f"a saga's page scrolls sideways at {width} px"
        page.screenshot(path=output_dir(REPO) / f"saga-{width}.png", full_page=True)
        context.close()

    # From the keyboard alone: filter to rejected, search, open a saga.
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(console_url(stack) + "/sagas")
    page.keyboard.press("Tab")  # the skip link
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    _tab_to(page, "#filter")
    for _ in range(4):  # every saga, running, stuck, confirmed, rejected
        page.keyboard.press("ArrowDown")
    assert page.locator("#filter").input_value() == "rejected"
    _tab_to(page, "#q")
    page.keyboard.type(placed["declined"])
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"filter=rejected"))
    _tab_to(page, f'a[href="/sagas/{placed["declined"]}"]')
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(placed["declined"]))
    assert page.locator("h1").inner_text().endswith(placed["declined"])
    context.close()


# --- helpers -----------------------------------------------------------------------------------
async def _create(stack: Supervisor, sku: str, stock: int) -> None:
    async with CheckoutClient(replica_urls(stack), tokens=stack) as client:
        await client.create_product(sku, stock=stock)


async def _reserved(stack: Supervisor, sku: str) -> int:
    async with CheckoutClient(replica_urls(stack), tokens=stack) as client:
        return int((await client.product(sku))["reserved"])


async def _wait_reserved(stack: Supervisor, sku: str, quantity: int) -> None:
    for _ in range(100):
        if await _reserved(stack, sku) == quantity:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"{sku}: {quantity} never reserved")


async def _send_reserve(stack: Supervisor, order_id: str, sku: str) -> Envelope:
    """What orders would send: a reserve-stock command, published as the operator."""
    envelope = Envelope(
        type=RESERVE_STOCK, source="orders", correlation_id=order_id,
        data={"order_id": order_id, "lines": [{"sku": sku, "quantity": 2}]},
    )  # fmt: skip
    client = await nats.connect(stack.operator_nats_url)
    try:
        await client.jetstream().publish(
            "inventory.cmd.reserve-stock", envelope.body(), headers=envelope.headers()
        )
    finally:
        await client.close()
    return envelope


def _parked_row(page: Any, order_id: str) -> Any:
    """The dead-letter list's row of the message about ``order_id`` (its correlation id)."""
    return page.locator(
        "#dead-letters tbody tr", has=page.locator(f'[data-correlation="{order_id}"]')
    )


def _wait_for_rows(page: Any, *rows: Any, timeout_s: float = 45) -> None:
    """The dead-letter list is not live: reload until the rows are there."""
    for _ in range(int(timeout_s * 2)):
        if all(row.count() for row in rows):
            return
        page.wait_for_timeout(500)
        page.reload()
    raise AssertionError("the messages were never parked")


def _overflow(page: Any) -> int:
    """How far the page scrolls sideways (tables scroll inside their own box, not the page)."""
    return int(page.evaluate("document.documentElement.scrollWidth - window.innerWidth"))


def _every_control_is_labelled(page: Any) -> None:
    unlabelled = page.evaluate(
        """() => [...document.querySelectorAll('input, select, textarea, button')]
            .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
                    && !(el.tagName === 'BUTTON' && el.textContent.trim()))
            .map(el => el.outerHTML)"""
    )
    assert unlabelled == []


def _tab_to(page: Any, selector: str, presses: int = 40) -> None:
    target = page.locator(selector).first
    for _ in range(presses):
        if target.evaluate("el => el === document.activeElement"):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {selector}")
