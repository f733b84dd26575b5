"""The size and timing of a fault run: the full run (``make chaos``) and the CI-sized one."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

# Every order must be CONFIRMED or REJECTED within this long after the last fault.
SETTLE_DEADLINE_S = 60.0


@dataclass(frozen=True)
class ChaosConfig:
    """What one run does. ``full()`` and ``ci()`` are the two sizes; the seed decides the rest."""

    sagas: int
    fault_episodes: int
    seed: int = 1
    # The one long nats-server outage (seconds); the other outages are short.
    long_outage_s: float = 180.0
    short_outage_s: tuple[float, float] = (2.0, 12.0)
    # Saga and gateway timing: tok_slow settles after the saga's payment deadline has passed.
    # The step timeout is above a service's restart time on a busy two-core machine, so a kill
    # alone does not time every saga out.
    step_timeout_s: float = 15.0
    slow_delay_s: float = 20.0
    # Load: concurrent clients, and the most sagas allowed unfinished before placing pauses
    # (the backlog: it bounds how far the participants lag behind, so a saga times out because
    # of a fault, not because the load outran two cores).
    clients: int = 6
    max_pending: int = 150
    # Duplicated / delayed / reordered deliveries: messages per episode and the longest delay.
    duplicates_per_episode: tuple[int, int] = (5, 25)
    max_duplicate_delay_s: float = 20.0
    # How long, once the armed service serves, its crash point may take to be reached.
    crash_wait_s: float = 30.0
    # An order not accepted for this long (the API refusing or hanging, or the backlog never
    # draining) ends the load: a finding, reported with the last answer, not a longer wait.
    give_up_s: float = 900.0
    postgres: bool = False
    postgres_restart: bool = False
    # Processes of each service (PostgreSQL only); a fault kills one, the others serve on.
    replicas: int = 1
    # nats-server nodes: above 1, a cluster with R3 streams, and the NATS faults hit one node
    # at a time (the stream leader among them) instead of stopping the one server.
    nats_nodes: int = 1
    run_dir: Path = Path(".chaos")
    keep_run: bool = False

    @classmethod
    def full(cls, **overrides: object) -> ChaosConfig:
        """``make chaos``: 10,000 sagas, 210 fault episodes, one outage of three minutes."""
        return replace(cls(sagas=10_000, fault_episodes=210), **overrides)  # type: ignore[arg-type]

    @classmethod
    def ci(cls, **overrides: object) -> ChaosConfig:
        """``make chaos-ci``: 500 sagas and 32 fault episodes, a few minutes on two cores."""
        base = cls(
            sagas=500,
            fault_episodes=32,
            long_outage_s=20.0,
            short_outage_s=(2.0, 6.0),
            max_duplicate_delay_s=10.0,
            crash_wait_s=20.0,
            max_pending=80,
            give_up_s=240.0,
        )
        return replace(base, **overrides)  # type: ignore[arg-type]

    @property
    def on_a_cluster(self) -> bool:
        """Whether the run has replicas or NATS nodes to spare, so that a fault of one process
        leaves the checkout up (and ``accepted_during_faults`` is reported)."""
        return self.replicas > 1 or self.nats_nodes > 1

    @property
    def db_mode(self) -> str:
        return "postgres" if self.postgres else "sqlite"
