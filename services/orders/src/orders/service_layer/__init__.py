"""Use cases of orders: handlers taking (command, unit of work, now), the saga runner, and the
sweeper's step."""
