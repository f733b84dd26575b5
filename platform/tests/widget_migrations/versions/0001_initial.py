"""widgets: effects log and the chassis tables"""

import sqlalchemy as sa
from alembic import op
from chassis.migration_ops import create_messaging_tables_v1, drop_messaging_tables_v1

revision = "0001"
down_revision = None


def upgrade() -> None:
    op.create_table(
        "widget_effect",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("message_id", sa.String(64), nullable=False),
    )
    create_messaging_tables_v1()


def downgrade() -> None:
    drop_messaging_tables_v1()
    op.drop_table("widget_effect")
