"""OpenTelemetry tracing, only when OTEL_EXPORTER_OTLP_ENDPOINT is set.

cinema/wsgi.py calls `tracing_setup()` before Django loads its middleware, and
only when the variable is set: otherwise nothing here is imported and tracing
costs nothing. The packages are optional (requirements-otel.txt). The exporter
is OTLP over HTTP and reads the standard OTEL_* variables itself
(OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_EXPORTER_OTLP_HEADERS, OTEL_SERVICE_NAME, ...).
"""

from __future__ import annotations

import os


def enabled() -> bool:
    return bool(os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"))


def _tag_request_id(span, request, response) -> None:
    if span.is_recording():
        span.set_attribute("http.request_id", response.get("X-Request-ID", ""))


def tracing_setup() -> None:
    """Export spans of every request (and its database queries' parent) over OTLP/HTTP."""
    try:
        from opentelemetry import trace
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.instrumentation.django import DjangoInstrumentor
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
    except ImportError as exc:
        raise RuntimeError(
            "OTEL_EXPORTER_OTLP_ENDPOINT is set but the tracing packages are missing: "
            "pip install -r requirements-otel.txt"
        ) from exc
    resource = Resource.create({"service.name": os.environ.get("OTEL_SERVICE_NAME", "cinema")})
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    DjangoInstrumentor().instrument(response_hook=_tag_request_id)
