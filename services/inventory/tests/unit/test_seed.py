"""The demo catalogue: valid, documented, and loaded only once."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from inventory.domain import Product
from inventory.service_layer.seed import CATALOGUE, catalogue, seed_catalogue

if TYPE_CHECKING:
    from tests.unit.conftest import FakeUnitOfWork

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_catalogue_has_a_last_unit_product_for_out_of_stock_demos() -> None:
    products = {product.sku: product for product in catalogue()}
    assert len(products) == len(CATALOGUE) >= 5
    assert products["sku-last"].available == 1


def test_the_readme_documents_every_seeded_product_with_its_price_and_stock() -> None:
    readme = README.read_text()
    for product in catalogue():
        row = f"| `{product.sku}` | {product.name} | {product.price_cents} | {product.available} |"
        assert row in readme, f"README.md lacks the row {row!r}"


async def test_seeding_twice_adds_the_catalogue_once_and_keeps_changed_stock(
    uow: FakeUnitOfWork,
) -> None:
    uow.products.items = {}
    assert await seed_catalogue(uow) == [sku for sku, *_ in CATALOGUE]
    uow.products.items["sku-last"] = Product("sku-last", "Poster", 2500, available=0, sold=1)
    assert await seed_catalogue(uow) == []
    assert uow.stock("sku-last") == (0, 0, 1)
