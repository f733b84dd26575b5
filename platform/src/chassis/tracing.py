"""Traces across HTTP, the outbox and NATS, with OpenTelemetry.

One checkout is one trace: the request's span is the parent of a ``create`` span written into the
outbox row's headers (W3C ``traceparent``/``tracestate``) in the business transaction itself, so
the context survives the request, a crash and a broker outage; the relay's ``publish`` span and
the consumer's ``process`` span are its children, and whatever the handler adds to its outbox
(the saga's next command) is a child of that ``process`` span. A redelivery carries the same
headers, so it joins the same trace. Spans follow OpenTelemetry's messaging conventions.

Nothing runs unless an OTLP endpoint is configured with the standard variables
(``OTEL_EXPORTER_OTLP_ENDPOINT`` or ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``; the SDK reads the
rest: ``OTEL_TRACES_SAMPLER``, ``OTEL_BSP_*``, headers...). Without one, the tracer is the
API's no-op and the outbox writes no trace header: the cost is nil.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Mapping, MutableMapping
from contextlib import contextmanager
from typing import Any

from chassis.envelope import MSG_ID_HEADER
from opentelemetry import propagate, trace
from opentelemetry.trace import Span, SpanKind, Tracer

log = logging.getLogger(__name__)

TRACER_NAME = "chassis"
ENDPOINT_VARIABLES = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
# Not traced: probes and scrapes would bury the checkouts.
UNTRACED_URLS = "health/live,health/ready,metrics"

_provider: Any = None  # the SDK's TracerProvider, once configure_tracing installed one


def export_configured(environ: Mapping[str, str] = os.environ) -> bool:
    """Whether this process should export traces: an OTLP endpoint is set, and neither
    ``OTEL_SDK_DISABLED=true`` nor ``OTEL_TRACES_EXPORTER=none`` says otherwise."""
    if environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    if environ.get("OTEL_TRACES_EXPORTER", "").strip().lower() == "none":
        return False
    return any(environ.get(name, "").strip() for name in ENDPOINT_VARIABLES)


def configure_tracing(service: str) -> bool:
    """Install a tracer provider exporting over OTLP/HTTP, once per process, when an endpoint
    is configured; whether tracing is on. ``service`` is the ``service.name`` unless
    ``OTEL_SERVICE_NAME`` says otherwise."""
    global _provider
    if _provider is not None:
        return True
    if not export_configured():
        return False
    # Imported here: a process that exports nothing never loads the SDK.
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.instrumentation.propagators import (
        TraceResponsePropagator,
        set_global_response_propagator,
    )
    from opentelemetry.sdk.resources import SERVICE_NAME, Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    name = os.environ.get("OTEL_SERVICE_NAME") or service
    provider = TracerProvider(resource=Resource.create({SERVICE_NAME: name}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    # Each response names its trace (``traceresponse``, W3C Trace Context level 2), so a
    # client (the demo, a support ticket) can quote the trace of what it asked.
    set_global_response_propagator(TraceResponsePropagator())
    _provider = provider
    log.info("exporting traces over OTLP as service %s", name)
    return True


def shutdown_tracing() -> None:
    """Export what is buffered and stop (the last spans of a stopping service are kept)."""
    global _provider
    if _provider is not None:
        _provider.shutdown()
        _provider = None


def tracing_enabled() -> bool:
    return _provider is not None


def current_trace_id() -> str | None:
    """The W3C trace id (32 hex digits) of the span being run, e.g. the request's; None when
    there is none (tracing off: the current span is then the API's invalid one)."""
    context = trace.get_current_span().get_span_context()
    return format(context.trace_id, "032x") if context.is_valid else None


def trace_app(app: Any) -> None:
    """Trace a FastAPI app's requests (server spans, the route as their name), when tracing is
    on; health probes and ``/metrics`` are left out."""
    if _provider is None:
        return
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

    FastAPIInstrumentor.instrument_app(app, excluded_urls=UNTRACED_URLS)


def trace_database(engine: Any) -> None:
    """Trace the statements of ``engine`` (an ``AsyncEngine``) as client spans, when tracing is
    on: ``<PREFIX>TRACE_DATABASE=true`` asks for it, since a saga runs a score of statements and
    each becomes a span."""
    if _provider is None:
        return
    from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor

    # It declares SQLAlchemy below 2.1 and would quietly do nothing on 2.1; the engine events it
    # hooks are unchanged in 2.1, and tests/e2e/test_tracing.py checks that spans come.
    SQLAlchemyInstrumentor().instrument(engine=engine.sync_engine, skip_dep_check=True)


@contextmanager
def continuing(headers: Mapping[str, str], name: str) -> Iterator[Span]:
    """A span ``name`` continuing the trace in ``headers`` (a stored message's): for work a
    timer starts on a flow that a request began, such as a saga's deadline passing."""
    if _provider is None:
        yield trace.INVALID_SPAN
        return
    with tracer().start_as_current_span(name, context=propagate.extract(headers)) as span:
        yield span


def tracer() -> Tracer:
    return trace.get_tracer(TRACER_NAME)


def _attributes(operation: str, subject: str, message_id: str) -> dict[str, str]:
    return {
        "messaging.system": "nats",
        "messaging.operation.type": operation,
        "messaging.operation.name": operation,
        "messaging.destination.name": subject,
        "messaging.message.id": message_id,
    }


def carry_context(headers: MutableMapping[str, str], subject: str, message_id: str) -> None:
    """Write the current trace context into an outgoing message's ``headers``, through a
    ``create`` span of the message: called when the message is added to the outbox, inside the
    business transaction, while the request or message that caused it is still current."""
    current = trace.get_current_span()
    if not current.get_span_context().is_valid:
        return  # tracing off, or nothing traced caused this: no span, no header
    if not current.is_recording():
        # A trace sampled out: carry that decision on, so that the consumers do not sample
        # its later hops on their own (which would make fragments of traces).
        propagate.inject(headers)
        return
    with tracer().start_as_current_span(
        f"create {subject}",
        kind=SpanKind.PRODUCER,
        attributes=_attributes("create", subject, message_id),
    ):
        propagate.inject(headers)


@contextmanager
def publishing(subject: str, headers: Mapping[str, str]) -> Iterator[Span]:
    """The relay's ``publish`` span, a child of the context stored with the outbox row (whose
    headers carry the message id too)."""
    if _provider is None:  # tracing off: not even a no-op span per message
        yield trace.INVALID_SPAN
        return
    parent = propagate.extract(headers)
    with tracer().start_as_current_span(
        f"publish {subject}",
        context=parent,
        kind=SpanKind.PRODUCER,
        attributes=_attributes("publish", subject, headers.get(MSG_ID_HEADER, "")),
    ) as span:
        yield span


@contextmanager
def processing(
    subject: str, headers: Mapping[str, str] | None, message_id: str, consumer: str
) -> Iterator[Span]:
    """The consumer's ``process`` span, a child of the context the message carries; current
    while the handler runs, so that what it adds to the outbox continues the trace."""
    if _provider is None:
        yield trace.INVALID_SPAN
        return
    with tracer().start_as_current_span(
        f"process {subject}",
        context=propagate.extract(headers or {}),
        kind=SpanKind.CONSUMER,
        attributes={
            **_attributes("process", subject, message_id),
            "messaging.consumer.group.name": consumer,
        },
    ) as span:
        yield span
