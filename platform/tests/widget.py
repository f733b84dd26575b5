"""A tiny service used only by the chassis's own tests: widgets, and a log of applied events."""

from __future__ import annotations

from chassis import add_messaging_tables
from sqlalchemy import Column, Integer, MetaData, String, Table

metadata = MetaData()
effects = Table(
    "widget_effect",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("message_id", String(64), nullable=False),
)
tables = add_messaging_tables(metadata)
