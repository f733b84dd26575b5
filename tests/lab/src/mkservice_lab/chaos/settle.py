"""Waiting, after the last fault, until the system is quiet: every order finished, every outbox
row published, no payment pending, every durable consumer caught up.

Orders still unfinished 60 seconds after the last fault are stuck (an invariant violation);
the wait goes on a while longer so that the other checks see a quiet system.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from mkservice_lab.chaos.config import SETTLE_DEADLINE_S
from mkservice_lab.chaos.dbread import Databases
from mkservice_lab.chaos.pacing import Pacer
from mkservice_lab.chaos.replay import MessageFaults

# After the 60 s deadline, how much longer we wait for the rest to go quiet.
SETTLE_LIMIT_S = 300.0


@dataclass
class Settled:
    settled: bool = False
    terminal_after_s: float | None = None
    settled_after_s: float | None = None
    not_terminal_at_deadline: list[str] = field(default_factory=list)
    last_state: dict[str, int | None] = field(default_factory=dict)


async def _unfinished_ids(databases: Databases) -> list[str]:
    rows = await databases["orders"].query(
        "SELECT id FROM customer_order WHERE status NOT IN ('CONFIRMED','REJECTED')"
    )
    return [str(row["id"]) for row in rows]


async def wait_settled(
    databases: Databases,
    messages: MessageFaults,
    pacer: Pacer,
    last_fault_s: float,
    streams: list[str],
) -> Settled:
    """Poll until quiet twice in a row, or until ``SETTLE_LIMIT_S`` past the deadline."""
    result = Settled()
    deadline = last_fault_s + SETTLE_DEADLINE_S
    checked_deadline = False
    quiet_rounds = 0
    while True:
        now = pacer.elapsed()
        unfinished = await databases.try_count("unfinished")
        if unfinished == 0 and result.terminal_after_s is None:
            result.terminal_after_s = max(0.0, now - last_fault_s)
        if now >= deadline and not checked_deadline:
            checked_deadline = True
            if result.terminal_after_s is None:
                result.not_terminal_at_deadline = await _unfinished_ids(databases)
        state = {
            "unfinished_orders": unfinished,
            "undelivered_outbox_rows": await databases.try_count("outbox"),
            "pending_payments": await databases.try_count("payments"),
            "consumer_backlog": await messages.backlog(streams),
        }
        result.last_state = state
        if all(value == 0 for value in state.values()):
            quiet_rounds += 1
            if quiet_rounds >= 2 and (checked_deadline or result.terminal_after_s is not None):
                result.settled = True
                result.settled_after_s = max(0.0, now - last_fault_s)
                return result
        else:
            quiet_rounds = 0
        if now > deadline + SETTLE_LIMIT_S:
            if not checked_deadline:
                result.not_terminal_at_deadline = await _unfinished_ids(databases)
            return result
        await asyncio.sleep(1.0)
