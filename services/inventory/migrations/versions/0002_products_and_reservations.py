"""products and reservations replace the template's example item table

Only CREATE and DROP TABLE here, which SQLite runs natively: no batch mode is needed (that is
for ALTERs, which SQLite emulates by copying the table; ``render_as_batch`` covers them).
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    op.drop_table("inventory_item")
    op.create_table(
        "product",
        sa.Column("sku", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("price_cents", sa.Integer(), nullable=False),
        sa.Column("available", sa.Integer(), nullable=False),
        sa.Column("reserved", sa.Integer(), nullable=False),
        sa.Column("sold", sa.Integer(), nullable=False),
        sa.CheckConstraint("price_cents > 0", name="ck_product_price_positive"),
        sa.CheckConstraint("available >= 0", name="ck_product_available_non_negative"),
        sa.CheckConstraint("reserved >= 0", name="ck_product_reserved_non_negative"),
        sa.CheckConstraint("sold >= 0", name="ck_product_sold_non_negative"),
    )
    op.create_table(
        "reservation",
        sa.Column("order_id", sa.String(100), primary_key=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('RESERVED', 'RELEASED', 'COMMITTED')", name="ck_reservation_status"
        ),
    )
    op.create_table(
        "reservation_line",
        sa.Column(
            "order_id",
            sa.String(100),
            sa.ForeignKey("reservation.order_id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("sku", sa.String(64), sa.ForeignKey("product.sku"), primary_key=True),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_price_cents", sa.Integer(), nullable=False),
        sa.CheckConstraint("quantity > 0", name="ck_reservation_line_quantity_positive"),
        sa.CheckConstraint("unit_price_cents >= 0", name="ck_reservation_line_price_non_negative"),
    )


def downgrade() -> None:
    op.drop_table("reservation_line")
    op.drop_table("reservation")
    op.drop_table("product")
    # Exactly as 0001 created it.
    op.create_table(
        "inventory_item",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("announced_at", sa.DateTime(timezone=True), nullable=True),
    )
