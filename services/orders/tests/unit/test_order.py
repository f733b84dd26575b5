"""The order's own rules, without any I/O."""

from datetime import UTC, datetime

import pytest

from orders.domain import InvalidOrder, Order, OrderLine, OrderStatus

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def test_a_new_order_is_pending() -> None:
    order = Order.place("c-1", [OrderLine("sku-lamp", 2)], "tok_ok", now=NOW)
    assert order.status is OrderStatus.PENDING
    assert order.total_cents is None


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ([], "at least one line"),
        ([OrderLine("sku-lamp", 0)], "quantity"),
        ([OrderLine("sku-lamp", -3)], "quantity"),
        ([OrderLine(" ", 1)], "sku"),
    ],
)
def test_refuses_orders_that_cannot_be_checked_out(lines: list[OrderLine], message: str) -> None:
    with pytest.raises(InvalidOrder, match=message):
        Order.place("c-1", lines, "tok_ok", now=NOW)


@pytest.mark.parametrize(
    ("customer_id", "message"),
    [(" ", "needs a customer_id"), ("c" * 101, "at most 100"), ("c\x00d", "NUL")],
)
def test_refuses_a_customer_id_its_table_cannot_hold(customer_id: str, message: str) -> None:
    # The customer id is a token's subject, which the issuer chooses, not the request schema.
    with pytest.raises(InvalidOrder, match=message):
        Order.place(customer_id, [OrderLine("sku-lamp", 1)], "tok_ok", now=NOW)


def test_merges_the_lines_of_a_repeated_sku_adding_their_quantities() -> None:
    lines = [OrderLine("sku-lamp", 2), OrderLine("sku-desk", 1), OrderLine("sku-lamp", 10_000)]

    order = Order.place("c-1", lines, "tok_ok", now=NOW)

    assert order.lines == [OrderLine("sku-lamp", 10_002), OrderLine("sku-desk", 1)]
