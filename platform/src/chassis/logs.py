"""A service's logs: one JSON object per line for machines, readable text for a terminal.

``<PREFIX>LOG_FORMAT`` chooses: ``json``, ``text``, or ``auto`` (the default: JSON unless stderr
is a terminal). A JSON line holds the time, level, service, logger and message, the trace and
span ids of the current span when tracing, and the id and correlation id of the message being
applied (:func:`message_context`, which the consumers set), so one checkout's lines can be
found by its trace or its correlation id in any log store.
"""

from __future__ import annotations

import contextvars
import json
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, Literal

from opentelemetry import trace

LogFormat = Literal["auto", "json", "text"]

_message_ids: contextvars.ContextVar[tuple[str, str] | None] = contextvars.ContextVar(
    "chassis_message_ids", default=None
)


@contextmanager
def message_context(message_id: str, correlation_id: str) -> Iterator[None]:
    """Lines logged inside name the message being applied and its conversation."""
    token = _message_ids.set((message_id, correlation_id))
    try:
        yield
    finally:
        _message_ids.reset(token)


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "service": self.service,
            "logger": record.name,
            "message": record.getMessage(),
        }
        span = trace.get_current_span().get_span_context()
        if span.is_valid:
            line["trace_id"] = format(span.trace_id, "032x")
            line["span_id"] = format(span.span_id, "016x")
        ids = _message_ids.get()
        if ids is not None:
            line["message_id"], line["correlation_id"] = ids
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


def configure_logging(service: str, log_format: LogFormat = "auto", *, label: str = "") -> None:
    """Send INFO and above to stderr in the chosen format (``auto``: JSON unless a terminal).

    Text lines start with ``label`` (the package name, by default the service's)."""
    chosen = log_format
    if chosen == "auto":
        chosen = "text" if sys.stderr.isatty() else "json"
    handler = logging.StreamHandler()
    if chosen == "json":
        handler.setFormatter(JsonFormatter(service))
    else:
        prefix = label or service
        handler.setFormatter(logging.Formatter(f"{prefix} %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.INFO)
