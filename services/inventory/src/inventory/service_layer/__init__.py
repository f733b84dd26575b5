"""Use cases of inventory: handlers taking (command, unit of work)."""
