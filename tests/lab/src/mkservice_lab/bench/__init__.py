"""``mkservice bench``: how fast the reference checkout is, against floors measured in the same
run on the same machine (see docs/benchmarks.md).

- :mod:`~mkservice_lab.bench.runner`: the run (floors, checkout, generator), the table, the file;
- :mod:`~mkservice_lab.bench.loadgen`: the load generator, its own process (open or closed loop);
- :mod:`~mkservice_lab.bench.floors`, :mod:`~mkservice_lab.bench.jetstream`,
  :mod:`~mkservice_lab.bench.drain`: the floors;
- :mod:`~mkservice_lab.bench.rig`, :mod:`~mkservice_lab.bench.checkout`,
  :mod:`~mkservice_lab.bench.ramp`, :mod:`~mkservice_lab.bench.lags`: the checkout under
  open-loop load;
- :mod:`~mkservice_lab.bench.newservice`: ``mkservice new``'s wall time;
- :mod:`~mkservice_lab.bench.profiling`, :mod:`~mkservice_lab.bench.profiled`,
  :mod:`~mkservice_lab.bench.profsummary`: the services under cProfile (``--profile``);
- :mod:`~mkservice_lab.bench.stats`, :mod:`~mkservice_lab.bench.results`: the arithmetic and the
  file.

Only the light, pure modules are re-exported; the others are imported where they are used.
"""

from mkservice_lab.bench.results import REQUIRED_KEYS, TARGETS, Target, derive, write_results
from mkservice_lab.bench.stats import Summary, percentile, rate, ratio

__all__ = [
    "REQUIRED_KEYS",
    "TARGETS",
    "Summary",
    "Target",
    "derive",
    "percentile",
    "rate",
    "ratio",
    "write_results",
]
