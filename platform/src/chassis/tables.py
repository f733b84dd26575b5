"""The chassis's own tables, added to each service's metadata so they live in its own database.

Each service's first migration creates them; the chassis never touches another database.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chassis.types import UTCDateTime
from sqlalchemy import (
    BigInteger,
    Column,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
)

OUTBOX_TABLE = "outbox_message"
INBOX_TABLE = "processed_message"

# SQLite only auto-increments an INTEGER PRIMARY KEY (the rowid); PostgreSQL wants a BIGINT.
_Sequence = BigInteger().with_variant(Integer(), "sqlite")


@dataclass(frozen=True)
class MessagingTables:
    """The outbox and inbox tables of one service."""

    outbox: Table
    inbox: Table


def add_messaging_tables(metadata: MetaData) -> MessagingTables:
    """Define ``outbox_message`` and ``processed_message`` in a service's own ``metadata``."""
    outbox = Table(
        OUTBOX_TABLE,
        metadata,
        Column("seq", _Sequence, primary_key=True, autoincrement=True),
        Column("message_id", String(64), nullable=False, unique=True),
        Column("subject", String(255), nullable=False),
        Column("message_type", String(255), nullable=False),
        # Rows sharing an aggregate key are published strictly in seq order.
        Column("aggregate_key", String(255), nullable=False),
        Column("headers", Text, nullable=False),
        Column("body", Text, nullable=False),
        Column("created_at", UTCDateTime(), nullable=False),
        Column("delivered_at", UTCDateTime(), nullable=True),
        Column("attempts", Integer, nullable=False, default=0),
    )
    Index(
        "ix_outbox_message_pending",
        outbox.c.seq,
        postgresql_where=outbox.c.delivered_at.is_(None),
        sqlite_where=outbox.c.delivered_at.is_(None),
    )
    inbox = Table(
        INBOX_TABLE,
        metadata,
        Column("consumer", String(200), nullable=False),
        Column("message_id", String(64), nullable=False),
        Column("processed_at", UTCDateTime(), nullable=False),
        PrimaryKeyConstraint("consumer", "message_id", name="pk_processed_message"),
    )
    return MessagingTables(outbox=outbox, inbox=inbox)


def table_of(row_class: type[Any]) -> Table:
    """The Core ``Table`` a declarative (SQLModel) row class maps, for building statements.

    Repositories write Core statements over the tables their row classes declare (ADR 0015);
    ``__table__`` is SQLAlchemy's documented declarative attribute, typed here once.
    """
    table = getattr(row_class, "__table__", None)
    if not isinstance(table, Table):
        raise TypeError(f"{row_class!r} is not a mapped table class")
    return table
