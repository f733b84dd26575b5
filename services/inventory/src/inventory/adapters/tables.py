"""The tables of inventory, in its OWN registry and metadata.

SQLModel's global ``SQLModel.metadata`` is shared by everything imported in a process; a
registry of our own keeps this service's metadata (and so its migrations) to its own tables.
Migration 0002 creates exactly these; ``tests/integration/test_migrations.py`` compares them.
"""

from datetime import datetime

from chassis import UTCDateTime, add_messaging_tables
from sqlalchemy import CheckConstraint, Text
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

SKU_LENGTH = 64
ORDER_ID_LENGTH = 100


class InventoryBase(SQLModel, registry=registry()):
    """Base class of every table of this service."""


# outbox_message and processed_message, created by this service's own first migration.
messaging_tables = add_messaging_tables(InventoryBase.metadata)


class ProductRow(InventoryBase, table=True):
    __tablename__ = "product"
    # The last line of defence: even a buggy UPDATE cannot make stock negative.
    __table_args__ = (
        CheckConstraint("price_cents > 0", name="ck_product_price_positive"),
        CheckConstraint("available >= 0", name="ck_product_available_non_negative"),
        CheckConstraint("reserved >= 0", name="ck_product_reserved_non_negative"),
        CheckConstraint("sold >= 0", name="ck_product_sold_non_negative"),
    )

    sku: str = Field(primary_key=True, max_length=SKU_LENGTH)
    name: str = Field(max_length=200)
    price_cents: int
    available: int
    reserved: int
    sold: int


class ReservationRow(InventoryBase, table=True):
    __tablename__ = "reservation"
    __table_args__ = (
        CheckConstraint(
            "status IN ('RESERVED', 'RELEASED', 'COMMITTED')", name="ck_reservation_status"
        ),
    )

    # One reservation per order: a second insert for the same order fails instead of
    # reserving twice (two instances racing on the same command).
    order_id: str = Field(primary_key=True, max_length=ORDER_ID_LENGTH)
    status: str = Field(max_length=16)
    reason: str | None = Field(default=None, sa_type=Text)
    created_at: datetime = Field(sa_type=UTCDateTime())
    updated_at: datetime = Field(sa_type=UTCDateTime())


class ReservationLineRow(InventoryBase, table=True):
    __tablename__ = "reservation_line"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="ck_reservation_line_quantity_positive"),
        CheckConstraint("unit_price_cents >= 0", name="ck_reservation_line_price_non_negative"),
    )

    order_id: str = Field(
        primary_key=True,
        max_length=ORDER_ID_LENGTH,
        foreign_key="reservation.order_id",
        ondelete="CASCADE",
    )
    sku: str = Field(primary_key=True, max_length=SKU_LENGTH, foreign_key="product.sku")
    quantity: int
    unit_price_cents: int
