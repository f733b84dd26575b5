"""The fault suite (``mkservice chaos``, ``make chaos``): the checkout under crashes, outages,
duplicated deliveries and slow payments, judged by invariants over every service's database.

- :mod:`~mkservice.chaos.config`: the run's size (full, CI) and timing.
- :mod:`~mkservice.chaos.scenario`: the seeded plan: catalogue, orders, fault schedule.
- :mod:`~mkservice.chaos.cluster`: nats-server with per-service users and the supervised services.
- :mod:`~mkservice.chaos.load` / :mod:`~mkservice.chaos.pacing`: the order stream, in step with
  the faults.
- :mod:`~mkservice.chaos.injectors` / :mod:`~mkservice.chaos.replay`: process and message faults.
- :mod:`~mkservice.chaos.settle` / :mod:`~mkservice.chaos.dbread` /
  :mod:`~mkservice.chaos.invariants`: settling, reading every database, the checks.
- :mod:`~mkservice.chaos.report` / :mod:`~mkservice.chaos.runner`: the verdict and one run.
"""

from mkservice.chaos.config import ChaosConfig
from mkservice.chaos.runner import run_chaos

__all__ = ["ChaosConfig", "run_chaos"]
