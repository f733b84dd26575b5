"""Use cases of payments: handlers taking (command, unit of work), and the settler."""
