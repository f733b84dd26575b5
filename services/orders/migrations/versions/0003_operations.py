"""operations: the message of each saga step, the trace of each order, and the indexes the
operations API pages and searches by"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    # Batch mode: SQLite cannot drop a column in place (downgrade), and add keeps them alike.
    with op.batch_alter_table("saga_step") as saga_step:
        saga_step.add_column(sa.Column("message_id", sa.String(64), nullable=True))
        saga_step.add_column(sa.Column("message_type", sa.String(255), nullable=True))
        saga_step.add_column(sa.Column("direction", sa.String(10), nullable=True))
    with op.batch_alter_table("customer_order") as customer_order:
        customer_order.add_column(sa.Column("trace_id", sa.String(32), nullable=True))
    op.create_index("ix_customer_order_placed", "customer_order", ["created_at", "id"])
    op.create_index("ix_customer_order_customer_id", "customer_order", ["customer_id"])


def downgrade() -> None:
    op.drop_index("ix_customer_order_customer_id", table_name="customer_order")
    op.drop_index("ix_customer_order_placed", table_name="customer_order")
    with op.batch_alter_table("customer_order") as customer_order:
        customer_order.drop_column("trace_id")
    with op.batch_alter_table("saga_step") as saga_step:
        saga_step.drop_column("direction")
        saga_step.drop_column("message_type")
        saga_step.drop_column("message_id")
