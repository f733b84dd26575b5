"""``accepted_during_faults``: the share of orders' POSTs answered 2xx while the checkout was
meant to be up, i.e. while at least one replica of each service and a NATS quorum ran.

On a cluster that is the whole run but PostgreSQL's restarts (every replica of every service
loses its one database then, which no replica can mask). With one process per service, the kills
and crash points of a service also take it down, and so does a whole nats-server outage; POSTs
in those windows are not counted, answered or not.
"""

from __future__ import annotations

from collections.abc import Iterable

from mkservice_lab.chaos.config import ChaosConfig
from mkservice_lab.chaos.injectors import FaultRecord

TARGET_PERCENT = 99.9


def takes_the_checkout_down(record: FaultRecord, config: ChaosConfig) -> bool:
    """Whether, while ``record``'s fault ran, no replica of some service or no NATS quorum
    was left."""
    if record.kind == "postgres-restart":
        return True
    if record.kind in {"kill", "crash"}:
        return config.replicas == 1
    return record.kind == "nats-outage"  # the one server; a cluster's node faults keep quorum


def accepted_during_faults(
    posts: Iterable[tuple[float, float, bool]],
    records: Iterable[FaultRecord],
    config: ChaosConfig,
) -> float | None:
    """Percent of the POSTs (``(sent_s, answered_s, accepted)``) accepted, leaving out those
    that overlap a window where the checkout was down; None when none is left to count."""
    down = [
        (record.began_s, record.ended_s)
        for record in records
        if record.injected and takes_the_checkout_down(record, config)
    ]
    counted = [
        accepted
        for sent, answered, accepted in posts
        if not any(began <= answered and sent <= ended for began, ended in down)
    ]
    return 100.0 * sum(counted) / len(counted) if counted else None
