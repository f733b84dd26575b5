"""The demo catalogue, loaded by ``python -m inventory seed`` (documented in the README).

Seeding is idempotent: a product whose sku already exists is left exactly as it is (its stock
is NOT reset), so seeding again after a demo never undoes what the demo sold.
"""

from __future__ import annotations

from inventory.domain import Product
from inventory.service_layer.ports import StockUnitOfWork

# sku, name, unit price in cents, initial stock. ``sku-last`` has ONE unit, for out-of-stock
# demos (the second order for it is rejected); ``sku-desk`` costs enough that a few of them go
# over the payments gateway's default limit (100000 cents).
CATALOGUE: tuple[tuple[str, str, int, int], ...] = (
    ("sku-lamp", "Desk lamp", 3_900, 50),
    ("sku-chair", "Office chair", 14_900, 20),
    ("sku-desk", "Standing desk", 49_900, 10),
    ("sku-mug", "Coffee mug", 1_200, 100),
    ("sku-notebook", "Dotted notebook", 450, 200),
    ("sku-last", "Last poster in stock", 2_500, 1),
)


def catalogue() -> list[Product]:
    """The seed products, with their initial stock."""
    return [Product.create(sku, name, price, stock) for sku, name, price, stock in CATALOGUE]


async def seed_catalogue(uow: StockUnitOfWork) -> list[str]:
    """Add the catalogue's missing products; returns the skus that were added."""
    added = []
    for product in catalogue():
        if await uow.products.add_if_missing(product):
            added.append(product.sku)
    return added
