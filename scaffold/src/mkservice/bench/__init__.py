"""``mkservice bench``: how fast the reference checkout is, against floors measured in the same
run on the same machine (see docs/benchmarks.md).

- :mod:`~mkservice.bench.runner`: the run (floors, checkout, generator), the table, the file;
- :mod:`~mkservice.bench.loadgen`: the load generator, its own process (open or closed loop);
- :mod:`~mkservice.bench.floors`, :mod:`~mkservice.bench.jetstream`,
  :mod:`~mkservice.bench.drain`: the floors;
- :mod:`~mkservice.bench.rig`, :mod:`~mkservice.bench.checkout`, :mod:`~mkservice.bench.ramp`,
  :mod:`~mkservice.bench.lags`: the checkout under open-loop load;
- :mod:`~mkservice.bench.newservice`: ``mkservice new``'s wall time;
- :mod:`~mkservice.bench.profiling`, :mod:`~mkservice.bench.profiled`,
  :mod:`~mkservice.bench.profsummary`: the services under cProfile (``--profile``);
- :mod:`~mkservice.bench.stats`, :mod:`~mkservice.bench.results`: the arithmetic and the file.

Only the light, pure modules are re-exported; the others are imported where they are used.
"""

from mkservice.bench.results import REQUIRED_KEYS, TARGETS, Target, derive, write_results
from mkservice.bench.stats import Summary, percentile, rate, ratio

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
