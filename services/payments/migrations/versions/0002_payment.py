"""payment: one row per order replaces the example item table

Written out in full (no imports of the service's code), so replaying history always builds the
same schema whatever the code later becomes.
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"

STATUSES = "'PENDING', 'CHARGED', 'DECLINED', 'REFUNDED', 'CANCELLED'"


def upgrade() -> None:
    op.drop_table("payments_item")
    op.create_table(
        "payment",
        sa.Column("order_id", sa.String(100), primary_key=True),
        sa.Column("payment_id", sa.String(36), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("refunded_cents", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.String(500), nullable=True),
        sa.Column("settle_after", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reply_correlation_id", sa.String(100), nullable=True),
        sa.Column("reply_causation_id", sa.String(64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(f"status IN ({STATUSES})", name="ck_payment_status"),
        sa.CheckConstraint("amount_cents >= 0", name="ck_payment_amount_not_negative"),
        sa.CheckConstraint(
            "refunded_cents >= 0 AND refunded_cents <= amount_cents",
            name="ck_payment_refund_within_amount",
        ),
        sa.UniqueConstraint("payment_id", name="uq_payment_payment_id"),
    )
    op.create_index("ix_payment_status_settle_after", "payment", ["status", "settle_after"])


def downgrade() -> None:
    op.drop_index("ix_payment_status_settle_after", table_name="payment")
    op.drop_table("payment")
    op.create_table(
        "payments_item",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("announced_at", sa.DateTime(timezone=True), nullable=True),
    )
