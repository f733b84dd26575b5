"""checkout: orders, their lines, the checkout saga and its step log (replaces the example item)"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    op.drop_table("orders_item")
    op.create_table(
        "customer_order",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("customer_id", sa.String(100), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("reason", sa.String(500), nullable=True),
        sa.Column("total_cents", sa.Integer(), nullable=True),
        sa.Column("payment_token", sa.String(100), nullable=False),
        sa.Column("idempotency_key", sa.String(200), nullable=True, unique=True),
        sa.Column("request_fingerprint", sa.String(64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_customer_order_status", "customer_order", ["status"])
    op.create_table(
        "order_line",
        sa.Column("order_id", sa.String(36), sa.ForeignKey("customer_order.id"), primary_key=True),
        sa.Column("sku", sa.String(100), primary_key=True),
        sa.Column("quantity", sa.Integer(), nullable=False),
    )
    op.create_table(
        "checkout_saga",
        sa.Column("order_id", sa.String(36), sa.ForeignKey("customer_order.id"), primary_key=True),
        sa.Column("state", sa.String(30), nullable=False),
        sa.Column("deadline_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("total_cents", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(500), nullable=True),
    )
    op.create_index("ix_checkout_saga_deadline", "checkout_saga", ["deadline_at"])
    op.create_table(
        "saga_step",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("order_id", sa.String(36), sa.ForeignKey("customer_order.id"), nullable=False),
        sa.Column("step", sa.String(50), nullable=False),
        sa.Column("outcome", sa.String(50), nullable=False),
        sa.Column("detail", sa.String(500), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_saga_step_order_id", "saga_step", ["order_id"])


def downgrade() -> None:
    op.drop_index("ix_saga_step_order_id", table_name="saga_step")
    op.drop_table("saga_step")
    op.drop_index("ix_checkout_saga_deadline", table_name="checkout_saga")
    op.drop_table("checkout_saga")
    op.drop_table("order_line")
    op.drop_index("ix_customer_order_status", table_name="customer_order")
    op.drop_table("customer_order")
    op.create_table(
        "orders_item",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("announced_at", sa.DateTime(timezone=True), nullable=True),
    )
