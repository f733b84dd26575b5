"""The table ``mkservice bench`` prints: every figure, the ratios, and the targets of issue 7."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text

from mkservice_lab.bench.results import TARGETS
from mkservice_lab.bench.scaleout import comparison_table

# (key, label, unit), in the order printed; a section starts where the label is None, its unit
# then naming the part of the run that measures it.
ROWS: tuple[tuple[str, str | None, str], ...] = (
    ("Floors", None, "floors"),
    ("bare_insert_per_s", "bare FastAPI insert (best concurrency)", "req/s"),
    ("js_publish_serial_per_s", "JetStream publish+ack, one by one", "msg/s"),
    ("js_publish_per_s", "JetStream publish+ack, 256 in flight", "msg/s"),
    ("js_consume_per_s", "JetStream pull-consume+ack, batch 100", "msg/s"),
    ("js_consume_single_per_s", "JetStream pull-consume+ack, 1 per pull", "msg/s"),
    ("outbox_drain_per_s", "chassis relay draining an outbox", "msg/s"),
    ("Checkout", None, "checkout"),
    ("sagas_per_s", "sustained sagas (open loop)", "sagas/s"),
    ("saga_half_rate_per_s", "half load", "sagas/s"),
    ("saga_p50_ms", "saga p50 at half load", "ms"),
    ("saga_p99_ms", "saga p99 at half load", "ms"),
    ("outbox_lag_p50_ms", "outbox lag p50 (commit to ack)", "ms"),
    ("outbox_lag_p99_ms", "outbox lag p99 (commit to ack)", "ms"),
    ("consumer_lag_p50_ms", "consumer lag p50 (stored to applied)", "ms"),
    ("consumer_lag_p99_ms", "consumer lag p99 (stored to applied)", "ms"),
    ("cpu_ms_per_saga_total", "CPU per saga at half load, 3 services", "ms"),
    ("cpu_ms_per_saga_with_broker", "... and nats-server", "ms"),
    ("Generator", None, "generator"),
    ("new_service_s", "mkservice new, installed (median, warm)", "s"),
    ("new_service_cold_s", "mkservice new, installed, first run (cold)", "s"),
    ("new_service_no_install_s", "mkservice new --no-install (median, warm)", "s"),
    ("upgrade_s", "mkservice upgrade of one service (median, warm)", "s"),
    ("Ratios", None, ""),  # measured when both of its figures are
    ("ratio_sagas_to_bare_insert", "sagas/s / bare insert req/s", ""),
    ("ratio_outbox_drain_to_js_publish", "outbox drain / concurrent publish", ""),
    ("saga_cpu_to_bare_insert_cpu", "CPU per saga / bare insert CPU per request", ""),
)

GAP = Text("gap", style="bold yellow")
NOT_RUN = Text("not run", style="dim")


def _value(value: Any, ran: bool = True) -> Text:
    if value is None:
        return GAP if ran else NOT_RUN
    if isinstance(value, float):
        return Text(f"{value:,.3f}" if abs(value) < 10 else f"{value:,.1f}")
    return Text(str(value))


def _mark(met: bool | None) -> Text:
    if met is None:
        return Text("not measured", style="yellow")
    return Text("met", style="green") if met else Text("missed", style="bold red")


def results_table(results: Mapping[str, Any]) -> Group:
    """The figures, the targets, and a caption with the machine and the mode."""
    figures = Table(title="mkservice bench", title_justify="left")
    figures.add_column("figure")
    figures.add_column("value", justify="right")
    figures.add_column("unit")
    parts = set(results.get("parts") or ())
    ran = True
    for key, label, unit in ROWS:
        if label is None:
            ran = not unit or unit in parts
            figures.add_row(Text(key, style="bold"), "", "")
        else:
            figures.add_row(f"  {label}", _value(results.get(key), ran), unit)
    gaps = [f"{key}: {why}" for key, why in (results.get("gaps") or {}).items()]
    targets = Table(title="Targets (issue 7, 2-core machine)", title_justify="left")
    targets.add_column("target")
    targets.add_column("measured", justify="right")
    targets.add_column("")
    for target in TARGETS:
        targets.add_row(
            target.describe(), _value(results.get(target.key)), _mark(target.met(results))
        )
    load = results.get("load_average") or {}
    caption = Text(
        f"{results.get('cores')} cores, {results.get('mode')} mode, "
        f"load average {load.get('before', '?')} before / {load.get('after', '?')} after; "
        f"written {results.get('timestamp')}",
        style="dim",
    )
    shown: list[Any] = [figures, targets]
    comparison = comparison_table(results)
    if comparison is not None:
        shown.append(comparison)
    shown.append(caption)
    shown += [Text(f"gap: {line}", style="yellow") for line in gaps]
    return Group(*shown)
