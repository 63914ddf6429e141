"""Wires logs, metrics and traces into the app: one call from the API factory."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from logistics_ai.observability import reflex_metrics, tracing
from logistics_ai.observability.request_id import RequestIdMiddleware


def install(api: Any, error_response: Callable[[], Any]) -> None:
    """Add the request-id middleware (and the tracing one outside it, when tracing is on).

    Call after every other middleware: Starlette runs the last added first, and these two
    must see the request before anything logs.
    """
    api.add_middleware(RequestIdMiddleware, error_response=error_response)
    otel = tracing.asgi_middleware()
    if otel is not None:
        middleware, options = otel
        api.add_middleware(middleware, **options)
    reflex_metrics.enable(tracing.tracer_provider())
