"""OpenTelemetry traces over OTLP/HTTP: HTTP routes, Reflex events, SQL and Redis.

Off unless OTEL_EXPORTER_OTLP_ENDPOINT is set; then nothing of the SDK is imported.
HTTP spans come from the ASGI instrumentation (added by the API factory), Reflex events from
Reflex's own trace points (`reflex_base.otel`), SQL and Redis from their instrumentations.
"""

from __future__ import annotations

import os
from typing import Any

from logistics_ai.settings import get_settings

_provider: Any = None


def tracer_provider() -> Any:
    """The configured SDK tracer provider, or None while tracing is off."""
    global _provider
    settings = get_settings()
    if _provider is not None or not settings.otel_exporter_otlp_endpoint:
        return _provider
    from opentelemetry import trace
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.instrumentation.redis import RedisInstrumentor
    from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor
    from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased

    resource = Resource.create(
        {
            "service.name": settings.otel_service_name,
            "service.version": os.environ.get("APP_VERSION", "dev"),
            "deployment.environment": settings.app_env,
        }
    )
    provider = TracerProvider(
        resource=resource, sampler=ParentBased(TraceIdRatioBased(settings.otel_sample_ratio))
    )
    endpoint = settings.otel_exporter_otlp_endpoint.rstrip("/") + "/v1/traces"
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint)))
    trace.set_tracer_provider(provider)
    # Every engine created from now on (db.get_engine builds it lazily) and every Redis client.
    # skip_dep_check: the instrumentation declares sqlalchemy < 2.1 but works with 2.1
    # (the tracing test proves it: the SQL spans arrive).
    SQLAlchemyInstrumentor().instrument(
        tracer_provider=provider, enable_commenter=False, skip_dep_check=True
    )
    RedisInstrumentor().instrument(tracer_provider=provider)
    _provider = provider
    return provider


def asgi_middleware() -> tuple[type, dict[str, Any]] | None:
    """The OpenTelemetry ASGI middleware class and options, when tracing is on."""
    provider = tracer_provider()
    if provider is None:
        return None
    from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware

    # Probes and scrapes are not worth a trace each.
    return OpenTelemetryMiddleware, {
        "tracer_provider": provider,
        "exclude_spans": ["receive", "send"],
        "excluded_urls": "healthz,readyz,metrics,ping",
    }


def shutdown() -> None:
    """Flush pending spans (tests and graceful shutdown)."""
    if _provider is not None:
        _provider.force_flush()
