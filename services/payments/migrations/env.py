"""Alembic's entry point for payments: its own metadata, its own database."""

from chassis.migrations import run_env

from payments.adapters.tables import PaymentsBase

run_env(PaymentsBase.metadata)
