"""Alembic's entry point for inventory: its own metadata, its own database."""

from chassis.migrations import run_env

from inventory.adapters.tables import InventoryBase

run_env(InventoryBase.metadata)
