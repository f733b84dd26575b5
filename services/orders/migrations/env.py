"""Alembic's entry point for orders: its own metadata, its own database."""

from chassis.migrations import run_env

from orders.adapters.tables import OrdersBase

run_env(OrdersBase.metadata)
