"""Reflex's own trace points, fed into /metrics and (when tracing) into the traces.

Reflex 0.10 measures every event handler (`reflex.event.duration`), the wait for a session's
state and the open websocket connections through OpenTelemetry instruments. A meter provider
with the Prometheus reader turns them into `reflex_event_duration_seconds{reflex_event_name}`
and `reflex_websocket_connections` in the same registry as the app's own metrics.
"""

from __future__ import annotations

from typing import Any

_enabled = False


def enable(tracer_provider: Any | None) -> None:
    global _enabled
    if _enabled:
        return
    from opentelemetry.exporter.prometheus import PrometheusMetricReader
    from opentelemetry.sdk.metrics import MeterProvider
    from reflex_base import otel

    meter_provider = MeterProvider(metric_readers=[PrometheusMetricReader()])
    # Without tracing, the global (no-op) tracer provider makes the spans free.
    otel.enable(tracer_provider=tracer_provider, meter_provider=meter_provider)
    _enabled = True
