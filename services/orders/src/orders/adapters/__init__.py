"""Persistence of orders: its own tables and repositories."""
