"""The fault suite (``mkservice chaos``, ``make chaos``): the checkout under crashes, outages,
duplicated deliveries and slow payments, judged by invariants over every service's database.

- :mod:`~mkservice_lab.chaos.config`: the run's size (full, CI) and timing.
- :mod:`~mkservice_lab.chaos.scenario`: the seeded plan: catalogue, orders, fault schedule.
- :mod:`~mkservice_lab.chaos.cluster`: nats-server with per-service users and the supervised
  services.
- :mod:`~mkservice_lab.chaos.load` / :mod:`~mkservice_lab.chaos.pacing`: the order stream, in
  step with the faults.
- :mod:`~mkservice_lab.chaos.injectors` / :mod:`~mkservice_lab.chaos.replay`: process and
  message faults.
- :mod:`~mkservice_lab.chaos.settle` / :mod:`~mkservice_lab.chaos.dbread` /
  :mod:`~mkservice_lab.chaos.invariants`: settling, reading every database, the checks.
- :mod:`~mkservice_lab.chaos.report` / :mod:`~mkservice_lab.chaos.runner`: the verdict and one run.
"""

from mkservice_lab.chaos.config import ChaosConfig
from mkservice_lab.chaos.runner import run_chaos

__all__ = ["ChaosConfig", "run_chaos"]
