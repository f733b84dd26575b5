"""A service's Prometheus metrics, served at ``/metrics`` (prometheus-client).

Counters and histograms are updated where the work happens (the HTTP middleware, the relay, the
consumers); gauges that describe stored state (outbox rows pending, consumer lag, the pool) are
read when ``/metrics`` is scraped, by the refreshers registered here, so nothing polls between
two scrapes. Each service keeps its own registry, never the process-global one: tests build many
apps in one process, and each would otherwise register the same names twice.

Names follow Prometheus's conventions: base units in the name (``_seconds``), ``_total`` for
counters; Prometheus adds ``job`` and ``instance``, so no service label is repeated here.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST as CONTENT_TYPE
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

log = logging.getLogger(__name__)

__all__ = ["CONTENT_TYPE", "ServiceMetrics", "MetricsMiddleware"]

Refresher = Callable[[], Awaitable[None]]
_REFRESH_TIMEOUT_S = 2.0
# Latency buckets from 1 ms to 10 s: a saga step is milliseconds, an outage seconds.
# Durations of whole flows (a saga: tens of milliseconds, or a step's timeout and more).
DURATION_BUCKETS = (
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
    30.0,
    60.0,
    120.0,
    300.0,
)
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class ServiceMetrics:
    """The metrics every service has; a service adds its own with :attr:`registry` and
    :meth:`refresh_with`."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.http_requests = Counter(
            "http_server_requests", "HTTP requests served, by route and status.",
            ["method", "route", "status"], registry=r,
        )  # fmt: skip
        self.http_duration = Histogram(
            "http_server_request_duration_seconds", "Time to answer an HTTP request.",
            ["method", "route"], buckets=LATENCY_BUCKETS, registry=r,
        )  # fmt: skip
        self.outbox_pending = Gauge(
            "outbox_pending_messages", "Outbox rows committed and not yet published.", registry=r
        )
        self.outbox_oldest_age = Gauge(
            "outbox_oldest_pending_age_seconds",
            "Age of the oldest outbox row not yet published (0 when none).", registry=r,
        )  # fmt: skip
        self.relay_publish_duration = Histogram(
            "outbox_relay_publish_duration_seconds",
            "Time from publishing an outbox row to JetStream's acknowledgement.",
            buckets=LATENCY_BUCKETS, registry=r,
        )  # fmt: skip
        self.relay_publish_failures = Counter(
            "outbox_relay_publish_failures", "Publishes that failed (the row is retried).",
            registry=r,
        )  # fmt: skip
        by_consumer = ["consumer"]
        self.messages_processed = Counter(
            "messages_processed",
            "Deliveries applied (or found duplicates) and acknowledged.",
            by_consumer,
            registry=r,
        )
        self.messages_redelivered = Counter(
            "messages_redelivered", "Deliveries after the first of a message.", by_consumer,
            registry=r,
        )  # fmt: skip
        self.messages_deduplicated = Counter(
            "messages_deduplicated",
            "Deliveries the inbox had already applied (their effect was skipped).",
            by_consumer, registry=r,
        )  # fmt: skip
        self.messages_dead_lettered = Counter(
            "messages_dead_lettered", "Messages parked on the dead-letter subject.",
            by_consumer, registry=r,
        )  # fmt: skip
        self.consumer_pending = Gauge(
            "consumer_pending_messages",
            "Messages stored for a durable consumer and not yet delivered to it (its lag).",
            by_consumer, registry=r,
        )  # fmt: skip
        self.db_pool_in_use = Gauge(
            "db_pool_connections_in_use", "Database connections checked out of the pool.",
            registry=r,
        )  # fmt: skip
        self._refreshers: list[Refresher] = []

    def gauge(self, name: str, documentation: str, labels: Sequence[str] = ()) -> Gauge:
        """A service's own gauge in this registry (set it in a refresher)."""
        return Gauge(name, documentation, list(labels), registry=self.registry)

    def histogram(
        self, name: str, documentation: str, labels: Sequence[str] = (),
        buckets: Sequence[float] = DURATION_BUCKETS,
    ) -> Histogram:  # fmt: skip
        """A service's own histogram in this registry."""
        return Histogram(name, documentation, list(labels), buckets=buckets, registry=self.registry)

    def refresh_with(self, refresher: Refresher) -> None:
        """Run ``refresher`` (it sets gauges) before each scrape."""
        self._refreshers.append(refresher)

    async def render(self) -> bytes:
        """The exposition text, the gauges refreshed first; a refresher that fails or hangs
        (the database or the broker away) leaves its gauges as they were and is logged."""
        for refresher in self._refreshers:
            try:
                async with asyncio.timeout(_REFRESH_TIMEOUT_S):
                    await refresher()
            except Exception as error:
                log.debug("metrics: %s failed: %r", getattr(refresher, "__name__", "?"), error)
        return generate_latest(self.registry)


class MetricsMiddleware:
    """Counts and times every HTTP request by its route template (``/orders/{order_id}``, not
    the path: one series per route, whatever the ids); a plain ASGI middleware, cheaper than
    Starlette's ``BaseHTTPMiddleware``."""

    def __init__(self, app: Any, metrics: ServiceMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_and_note(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            method = scope.get("method", "")
            self.metrics.http_requests.labels(method, route, str(status)).inc()
            self.metrics.http_duration.labels(method, route).observe(time.perf_counter() - started)
