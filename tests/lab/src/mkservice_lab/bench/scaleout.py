"""The checkout on the scaled-out shape (``mkservice bench --replicas N --nats-cluster M``) next
to one replica on one nats-server, measured in the same run.

The baseline keeps the results' usual keys; the scaled-out run goes under ``scaled_out`` (its
figures, and the shape) and ``scaled_out_ratio`` (scaled-out / baseline for each compared
figure). Two cores will not show a speed-up: the ratios show what competition between replicas
and streams of several replicas cost.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from rich.table import Table

from mkservice_lab.bench.stats import ratio, rounded

SQLITE_REFUSED = (
    "SQLite is one process per service: --replicas needs PostgreSQL (run with "
    "MKSERVICE_TEST_DB=postgres)."
)
# (key, label, unit) of the figures compared, in the order printed.
COMPARED = (
    ("sagas_per_s", "sustained", "sagas/s"),
    ("saga_p50_ms", "p50 at half load", "ms"),
    ("saga_p99_ms", "p99 at half load", "ms"),
    ("cpu_ms_per_saga_total", "CPU per saga, all replicas", "ms"),
)


@dataclass(frozen=True)
class Shape:
    """How many processes of each service, and how many nats-server nodes."""

    replicas: int = 1
    nats_cluster: int = 1

    @property
    def scaled_out(self) -> bool:
        return self.replicas > 1 or self.nats_cluster > 1

    def describe(self) -> str:
        return (
            f"{self.replicas} replica{'s' if self.replicas > 1 else ''}, "
            f"{self.nats_cluster} server{'s' if self.nats_cluster > 1 else ''}"
        )


def refusal(shape: Shape, mode: str) -> str | None:
    """Why this shape cannot run in this database mode (one sentence), or ``None``."""
    return SQLITE_REFUSED if shape.replicas > 1 and mode != "postgres" else None


def scaled_out_figures(shape: Shape, checkout: Mapping[str, Any]) -> dict[str, Any]:
    """The results' ``scaled_out`` entry: the shape and the checkout's figures on it."""
    return {"replicas": shape.replicas, "nats_cluster": shape.nats_cluster, **checkout}


def ratios(baseline: Mapping[str, Any], scaled: Mapping[str, Any]) -> dict[str, float | None]:
    """Scaled-out / baseline for each compared figure (``None`` where either is missing)."""
    return {key: rounded(ratio(scaled.get(key), baseline.get(key)), 3) for key, _, _ in COMPARED}


def comparison_table(results: Mapping[str, Any]) -> Table | None:
    """One row per shape and one of ratios; ``None`` when the run had no scaled-out part."""
    scaled = results.get("scaled_out")
    if not isinstance(scaled, Mapping):
        return None
    shape = Shape(int(scaled.get("replicas", 1)), int(scaled.get("nats_cluster", 1)))
    table = Table(title="Checkout: scaled out against one replica", title_justify="left")
    table.add_column("shape")
    for _, label, unit in COMPARED:
        table.add_column(f"{label} ({unit})", justify="right")
    given_ratios = results.get("scaled_out_ratio") or {}
    rows = ((Shape().describe(), results), (shape.describe(), scaled), ("ratio", given_ratios))
    for name, figures in rows:
        table.add_row(name, *(_cell(figures.get(key)) for key, _, _ in COMPARED))
    return table


def _cell(value: Any) -> str:
    if value is None:
        return "gap"
    if isinstance(value, float):
        return f"{value:,.3f}" if abs(value) < 10 else f"{value:,.1f}"
    return str(value)
