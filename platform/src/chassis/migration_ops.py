"""Alembic operations for the chassis's own tables, versioned so old migrations never change.

A service's first migration calls ``create_messaging_tables_v1()``. If the chassis tables ever
change, a ``..._v2`` step is added here and each service adds a migration that calls it; v1 stays
exactly as it is, so replaying history gives the same schema.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from chassis.tables import INBOX_TABLE, OUTBOX_TABLE


def create_messaging_tables_v1() -> None:
    """Create ``outbox_message`` and ``processed_message`` (schema v1)."""
    op.create_table(
        OUTBOX_TABLE,
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
        sa.Column("message_id", sa.String(64), nullable=False, unique=True),
        sa.Column("subject", sa.String(255), nullable=False),
        sa.Column("message_type", sa.String(255), nullable=False),
        sa.Column("aggregate_key", sa.String(255), nullable=False),
        sa.Column("headers", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
    )
    op.create_index(
        "ix_outbox_message_pending",
        OUTBOX_TABLE,
        ["seq"],
        postgresql_where=sa.text("delivered_at IS NULL"),
        sqlite_where=sa.text("delivered_at IS NULL"),
    )
    op.create_table(
        INBOX_TABLE,
        sa.Column("consumer", sa.String(200), nullable=False),
        sa.Column("message_id", sa.String(64), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("consumer", "message_id", name="pk_processed_message"),
    )


def drop_messaging_tables_v1() -> None:
    """Drop what :func:`create_messaging_tables_v1` created."""
    op.drop_table(INBOX_TABLE)
    op.drop_index("ix_outbox_message_pending", table_name=OUTBOX_TABLE)
    op.drop_table(OUTBOX_TABLE)
