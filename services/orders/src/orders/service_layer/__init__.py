"""Use cases of orders: handlers taking (command, unit of work)."""
