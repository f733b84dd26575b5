"""The arithmetic of the benchmark: percentiles, rates and ratios. Pure, so it is unit-tested."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


def percentile(values: Iterable[float], q: float) -> float | None:
    """The ``q``-th percentile (0-100) by linear interpolation between closest ranks.

    The same definition as ``numpy.percentile``'s default; ``None`` for no values.
    """
    if not 0 <= q <= 100:
        raise ValueError(f"percentile {q} is outside 0..100")
    ordered = sorted(values)
    if not ordered:
        return None
    position = (len(ordered) - 1) * q / 100
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@dataclass(frozen=True)
class Summary:
    """Count, p50, p99 and max of a sample (milliseconds, say); ``None`` figures when empty."""

    count: int
    p50: float | None
    p99: float | None
    max: float | None

    @classmethod
    def of(cls, values: Sequence[float]) -> Summary:
        return cls(
            count=len(values),
            p50=percentile(values, 50),
            p99=percentile(values, 99),
            max=max(values) if values else None,
        )


def rate(count: int, seconds: float) -> float | None:
    """Events per second; ``None`` when no time passed."""
    return count / seconds if seconds > 0 else None


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    """``numerator / denominator``, or ``None`` when either is missing or the denominator is 0."""
    if numerator is None or not denominator:
        return None
    return numerator / denominator


def median(values: Sequence[float]) -> float | None:
    return percentile(values, 50)


def rounded(value: float | None, digits: int = 2) -> float | None:
    """``value`` rounded for the results file (``None`` stays ``None``)."""
    return None if value is None else round(value, digits)


def geometric_rates(start: float, factor: float, ceiling: float) -> list[float]:
    """Arrival rates from ``start``, each ``factor`` times the previous, up to ``ceiling``."""
    if start <= 0 or factor <= 1:
        raise ValueError("a ramp needs start > 0 and factor > 1")
    rates: list[float] = []
    current = start
    while current <= ceiling:
        rates.append(round(float(current), 1))
        current *= factor
    return rates
