"""Request and response bodies (the public shape, separate from the tables)."""

from __future__ import annotations

from chassis import Integer, Text
from pydantic import BaseModel, ConfigDict, Field

from inventory.domain import Product, Reservation, ReservationStatus
from inventory.domain.model import SKU_PATTERN

# The stock and price columns are 32-bit integers on PostgreSQL.
INT32_MAX = 2_147_483_647


class ProductCreate(BaseModel):
    """A new product; unknown fields are refused rather than silently dropped."""

    model_config = ConfigDict(extra="forbid")

    # The sku's spelling is checked by the domain, whose message is a sentence, not a regex;
    # the schema states the same pattern, so a client knows which skus will be taken.
    sku: Text = Field(
        min_length=1,
        max_length=64,
        examples=["sku-lamp"],
        json_schema_extra={"pattern": SKU_PATTERN},
    )
    name: Text = Field(min_length=1, max_length=200, examples=["Desk lamp"])
    # Integer: 3900.0 is the integer the schema promises to take; "3900" and true are not.
    price_cents: Integer = Field(
        gt=0, le=INT32_MAX, description="unit price in cents", examples=[3900]
    )
    stock: Integer = Field(
        ge=0, le=INT32_MAX, description="units available at creation", examples=[50]
    )


class ProductPublic(BaseModel):
    sku: str
    name: str
    price_cents: int
    available: int = Field(description="units that can be reserved")
    reserved: int = Field(description="units held for orders not settled yet")
    sold: int = Field(description="units of confirmed orders")

    @classmethod
    def of(cls, product: Product) -> ProductPublic:
        return cls(
            sku=product.sku,
            name=product.name,
            price_cents=product.price_cents,
            available=product.available,
            reserved=product.reserved,
            sold=product.sold,
        )


class ReservationLinePublic(BaseModel):
    sku: str
    quantity: int
    unit_price_cents: int


class ReservationPublic(BaseModel):
    order_id: str
    status: ReservationStatus
    reason: str | None = Field(description="why it was released, if it was")
    lines: list[ReservationLinePublic] = Field(description="empty for a release-before-reserve")
    total_cents: int

    @classmethod
    def of(cls, reservation: Reservation) -> ReservationPublic:
        return cls(
            order_id=reservation.order_id,
            status=reservation.status,
            reason=reservation.reason,
            lines=[
                ReservationLinePublic(
                    sku=line.sku, quantity=line.quantity, unit_price_cents=line.unit_price_cents
                )
                for line in reservation.lines
            ],
            total_cents=reservation.total_cents,
        )
