"""Persistence of inventory: its own tables and repositories."""
