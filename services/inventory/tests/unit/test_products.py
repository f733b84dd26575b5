"""A product's rules and stock buckets, without any I/O."""

import pytest

from inventory.domain import InvalidProduct, Product


def test_a_new_product_has_all_its_stock_available_and_a_trimmed_name() -> None:
    product = Product.create("sku-lamp", "  Desk lamp ", 3900, 5)
    assert product.name == "Desk lamp"
    assert (product.available, product.reserved, product.sold) == (5, 0, 0)


@pytest.mark.parametrize(
    ("sku", "name", "price_cents", "stock", "message"),
    [
        ("sku lamp", "Lamp", 100, 1, "sku"),
        ("-lamp", "Lamp", 100, 1, "sku"),
        ("x" * 65, "Lamp", 100, 1, "sku"),
        ("sku-lamp", "   ", 100, 1, "name"),
        ("sku-lamp", "Lamp", 0, 1, "price"),
        ("sku-lamp", "Lamp", 100, -1, "stock"),
    ],
)
def test_refuses_a_product_that_breaks_a_rule(
    sku: str, name: str, price_cents: int, stock: int, message: str
) -> None:
    with pytest.raises(InvalidProduct, match=message):
        Product.create(sku, name, price_cents, stock)


def test_taking_more_than_is_available_changes_nothing() -> None:
    product = Product.create("sku-lamp", "Lamp", 100, 2)
    assert product.take(3) is False
    assert (product.available, product.reserved) == (2, 0)
    assert product.take(2) is True
    assert (product.available, product.reserved) == (0, 2)
    assert product.take(1) is False


def test_stock_moves_between_buckets_without_ever_going_negative() -> None:
    product = Product.create("sku-lamp", "Lamp", 100, 3)
    product.take(2)
    product.give_back(1)
    product.sell(1)
    assert (product.available, product.reserved, product.sold) == (2, 0, 1)
    with pytest.raises(InvalidProduct):
        product.give_back(1)
    with pytest.raises(InvalidProduct):
        product.sell(1)
    assert (product.available, product.reserved, product.sold) == (2, 0, 1)


def test_negative_stock_cannot_even_be_constructed() -> None:
    with pytest.raises(InvalidProduct, match="reserved"):
        Product("sku-lamp", "Lamp", 100, available=1, reserved=-1)


@pytest.mark.parametrize("quantity", [0, -1])
def test_refuses_a_non_positive_quantity(quantity: int) -> None:
    product = Product.create("sku-lamp", "Lamp", 100, 3)
    with pytest.raises(InvalidProduct):
        product.take(quantity)
