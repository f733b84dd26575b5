"""The parts of a bench run, each measured and turned into the figures of ``results.json``."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from chassis.embedded_nats import NatsServer

from mkservice_lab.bench.stats import Summary, rounded

if TYPE_CHECKING:
    from mkservice_lab.bench.checkout import CheckoutResult
    from mkservice_lab.bench.runner import Run
    from mkservice_lab.bench.scaleout import Shape

UrlFor = Callable[[str], str]


def _ms(summary: Summary) -> dict[str, Any]:
    return {"count": summary.count, "p50_ms": rounded(summary.p50), "p99_ms": rounded(summary.p99)}


def floor_figures(run: Run, url_for: UrlFor) -> dict[str, Any]:
    """The bare insert app at each concurrency (the best is the floor), then JetStream."""
    from mkservice_lab.bench.drain import measure_drain
    from mkservice_lab.bench.floors import bare_insert_floor
    from mkservice_lab.bench.jetstream import measure_jetstream

    folder = run.out / "floors"
    folder.mkdir(parents=True, exist_ok=True)
    by_concurrency: dict[str, Any] = {}
    for concurrency in run.plan.bare_concurrencies:
        settings = replace(run.plan.bare, concurrency=concurrency)
        floor = bare_insert_floor(
            url_for(f"bare_{concurrency}"), folder / f"bare-{concurrency}.log", settings
        )
        report = floor.report
        by_concurrency[str(concurrency)] = {
            "per_s": rounded(report.throughput_per_s),
            "server_cpu_ms_per_request": rounded(floor.server_cpu_ms_per_request, 4),
            "p50_ms": rounded(report.latency_p50_ms),
            "p99_ms": rounded(report.latency_p99_ms),
            "errors": report.error_count,
            "loadgen_cpu_s": rounded(report.cpu_s),
        }
        run.say(f"bare insert, {concurrency} in flight: {by_concurrency[str(concurrency)]}")
    best = max((v["per_s"] or 0 for v in by_concurrency.values()), default=0) or None
    at_best = [v for v in by_concurrency.values() if best and v["per_s"] == best]
    nats = NatsServer(folder / "nats", log_file=folder / "nats-server.log").start()
    try:
        js = asyncio.run(measure_jetstream(nats.url, run.plan.jetstream))
        run.say(f"jetstream: {js}")
        drain = asyncio.run(measure_drain(url_for("relay"), nats.url, run.plan.drain_rows))
        run.say(f"outbox drain: {drain and round(drain)} msg/s")
    finally:
        nats.stop()
    return {
        "bare_insert_per_s": best,
        "bare_insert_by_concurrency": by_concurrency,
        # The bare server's CPU per request at its best concurrency: the cost floor a saga's
        # CPU is compared with (saga_cpu_to_bare_insert_cpu).
        "bare_insert_cpu_ms_per_request": at_best[0]["server_cpu_ms_per_request"]
        if at_best
        else None,
        "js_publish_serial_per_s": rounded(js.publish_serial_per_s),
        "js_publish_per_s": rounded(js.publish_concurrent_per_s),
        "js_consume_per_s": rounded(js.consume_per_s),
        "js_consume_single_per_s": rounded(js.consume_single_per_s),
        "outbox_drain_per_s": rounded(drain),
    }


def checkout_figures(
    run: Run, url_for: UrlFor | None, shape: Shape | None = None
) -> dict[str, Any]:
    """Start the stack (of ``shape``: one replica on one nats-server unless given), seed it,
    ramp the load, measure at half load; stop the stack."""
    from mkservice_lab.bench.checkout import run_checkout
    from mkservice_lab.bench.rig import CHECKOUT_SERVICES, checkout_rig, seed

    run_dir = run.out / ("stack" if shape is None else "stack-scaled-out")
    shutil.rmtree(run_dir, ignore_errors=True)
    # Fresh databases per stack: the scaled-out run must not start on the baseline's sagas.
    urls = {name: url_for(name) for name in CHECKOUT_SERVICES} if url_for else None
    how = "" if shape is None else f" ({shape.describe()})"
    run.say(f"starting nats-server and {', '.join(CHECKOUT_SERVICES)}{how} (logs in {run_dir})")
    replicas, nodes = (1, 1) if shape is None else (shape.replicas, shape.nats_cluster)
    with checkout_rig(
        run.repo, run_dir, database_urls=urls, replicas=replicas, nats_cluster=nodes
    ) as rig:
        asyncio.run(seed(rig))
        result = asyncio.run(run_checkout(rig, run.plan.checkout, run.say))
    return summarize_checkout(result)


def summarize_checkout(result: CheckoutResult) -> dict[str, Any]:
    """The checkout's figures: sustained rate, half-load latencies, lags (each overall and by
    service or consumer), and every ramp step."""
    half = result.half
    figures: dict[str, Any] = {
        "sagas_per_s": result.sustained,
        "saga_half_rate_per_s": half.rate if half else None,
        "saga_p50_ms": rounded(half.saga_p50_ms) if half else None,
        "saga_p99_ms": rounded(half.saga_p99_ms) if half else None,
        "saga_steps": [
            {
                "rate": step.rate, "sent": step.sent, "confirmed": step.confirmed,
                "p50_ms": rounded(step.saga_p50_ms), "p99_ms": rounded(step.saga_p99_ms),
                "post_p50_ms": rounded(step.post_p50_ms),
                "post_p99_ms": rounded(step.post_p99_ms),
                "verdict": verdict or "held",
            }
            for step, verdict in result.steps
        ],
    }  # fmt: skip
    if result.cpu_ms_per_saga:
        figures["cpu_ms_per_saga"] = result.cpu_ms_per_saga
        figures["cpu_ms_per_saga_total"] = round(sum(result.cpu_ms_per_saga.values()), 2)
        figures["cpu_idle_ms_per_s"] = result.cpu_idle_ms_per_s
    if result.cpu_ms_per_saga and result.broker_cpu_ms_per_saga is not None:
        figures["broker_cpu_ms_per_saga"] = result.broker_cpu_ms_per_saga
        figures["cpu_ms_per_saga_with_broker"] = round(
            sum(result.cpu_ms_per_saga.values()) + result.broker_cpu_ms_per_saga, 2
        )
    lags = result.lags
    if lags is not None:
        outbox, consumer = Summary.of(lags.all_outbox()), Summary.of(lags.all_consumer())
        figures.update(
            outbox_lag_p50_ms=rounded(outbox.p50),
            outbox_lag_p99_ms=rounded(outbox.p99),
            outbox_lag_by_service={k: _ms(Summary.of(v)) for k, v in lags.outbox_ms.items()},
            outbox_undelivered=lags.undelivered,
            consumer_lag_p50_ms=rounded(consumer.p50),
            consumer_lag_p99_ms=rounded(consumer.p99),
            consumer_lag_by_consumer={k: _ms(Summary.of(v)) for k, v in lags.consumer_ms.items()},
            consumer_lag_unmatched=lags.unmatched,
        )
    return figures
