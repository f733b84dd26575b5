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
        ([OrderLine("sku-lamp", 1), OrderLine("sku-lamp", 2)], "one line only"),
        ([OrderLine(" ", 1)], "sku"),
    ],
)
def test_refuses_orders_that_cannot_be_checked_out(lines: list[OrderLine], message: str) -> None:
    with pytest.raises(InvalidOrder, match=message):
        Order.place("c-1", lines, "tok_ok", now=NOW)
