"""Use cases of payments: handlers taking (command, unit of work, now) and emitting events; the
settler's step."""
