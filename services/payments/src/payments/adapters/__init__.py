"""Persistence of payments: its own tables and repositories."""
