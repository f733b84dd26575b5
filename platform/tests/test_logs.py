"""A JSON log line names the service, the current trace and span, and the message being
applied; text stays the readable ``<service> LEVEL logger: message``."""

from __future__ import annotations

import json
import logging
import sys

from chassis.logs import JsonFormatter, message_context
from opentelemetry.sdk.trace import TracerProvider


def record(message: str, level: int = logging.INFO) -> logging.LogRecord:
    return logging.LogRecord("chassis.consumer", level, __file__, 1, message, (), None)


def test_a_line_outside_any_span_or_message_has_only_the_basics() -> None:
    line = json.loads(JsonFormatter("order-notes").format(record("started")))

    assert line["service"] == "order-notes"
    assert (line["level"], line["logger"], line["message"]) == (
        "INFO",
        "chassis.consumer",
        "started",
    )
    assert line["time"].endswith("+00:00")
    assert not {"trace_id", "span_id", "message_id", "correlation_id"} & line.keys()


def test_a_line_inside_a_span_and_a_message_names_both() -> None:
    tracer = TracerProvider().get_tracer("test")  # a real SDK tracer, not installed globally
    with tracer.start_as_current_span("process") as span, message_context("m-1", "order-7"):
        line = json.loads(JsonFormatter("orders").format(record("applied")))
    context = span.get_span_context()

    assert line["trace_id"] == format(context.trace_id, "032x")
    assert line["span_id"] == format(context.span_id, "016x")
    assert (line["message_id"], line["correlation_id"]) == ("m-1", "order-7")


def test_an_exception_is_kept_in_the_line() -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        failed = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    line = json.loads(JsonFormatter("orders").format(failed))

    assert "ValueError: boom" in line["exception"]
