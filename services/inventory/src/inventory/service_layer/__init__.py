"""Use cases of inventory: handlers taking (command, unit of work, now) and emitting events."""
