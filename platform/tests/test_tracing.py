"""When tracing is on, and when it costs nothing: the standard OTEL variables decide."""

from __future__ import annotations

import pytest
from chassis import tracing
from chassis.envelope import Envelope
from chassis.outbox import _headers_of
from opentelemetry import trace
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags


@pytest.mark.parametrize(
    ("environ", "on"),
    [
        ({}, False),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"}, True),
        ({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://127.0.0.1:4318/v1/traces"}, True),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "  "}, False),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://x:4318", "OTEL_SDK_DISABLED": "true"}, False),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://x:4318", "OTEL_TRACES_EXPORTER": "none"}, False),
    ],
)
def test_traces_are_exported_only_when_an_endpoint_is_set(
    environ: dict[str, str], on: bool
) -> None:
    assert tracing.export_configured(environ) is on


def test_without_an_endpoint_nothing_is_installed_and_no_trace_header_is_written(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in tracing.ENDPOINT_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    assert tracing.configure_tracing("widgets") is False
    assert not tracing.tracing_enabled()
    envelope = Envelope(
        type="widgets.created", source="widgets", correlation_id="c-1", data={"n": 1}
    )
    headers = _headers_of("widgets.evt.created", envelope)
    assert "traceparent" not in headers
    assert headers == envelope.headers()


def test_a_trace_sampled_out_still_carries_its_decision_to_the_next_hop() -> None:
    sampled_out = SpanContext(
        trace_id=0x4BF92F3577B34DA6A3CE929D0E0E4736, span_id=0x00F067AA0BA902B7,
        is_remote=False, trace_flags=TraceFlags(0),
    )  # fmt: skip
    envelope = Envelope(type="widgets.created", source="widgets", correlation_id="c-1")
    with trace.use_span(NonRecordingSpan(sampled_out)):
        headers = _headers_of("widgets.evt.created", envelope)

    assert headers["traceparent"] == "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00"
