"""Pure-ASGI middleware: one request id per request, in every log line and in the response.

nginx generates `X-Request-ID` (`$request_id`) and forwards it; a direct call gets a new one.
An incoming id is only kept when it looks like an id (bounded length and characters), so a
client cannot inject text into the logs. The access line (route template, status, latency)
is written when the response ends; it also names the current trace span after the route.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable
from typing import Any

from loguru import logger

from logistics_ai.observability import context, metrics
from logistics_ai.observability.routes import route_template

HEADER = b"x-request-id"
_VALID_ID = re.compile(rb"^[A-Za-z0-9._:\-]{8,128}$")
# Probes and scrapes would drown the access log; they are logged at DEBUG.
_QUIET_PATHS = frozenset({"/healthz", "/readyz", "/metrics", "/ping", "/_health"})

Scope = dict[str, Any]


def incoming_request_id(scope: Scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == HEADER:
            return value.decode("ascii") if _VALID_ID.match(value) else None
    return None


class RequestIdMiddleware:
    """Register it last (outermost), so every other middleware logs with the request id.

    `error_response` builds the 500 sent for an unhandled exception: Starlette's own handler
    runs outside every user middleware, where the request id would already be gone.
    """

    def __init__(self, app: Any, error_response: Callable[[], Any] | None = None) -> None:
        self.app = app
        self.error_response = error_response

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        # 128 random bits as 32 hex digits, like uuid4().hex without building a UUID.
        request_id = incoming_request_id(scope) or os.urandom(16).hex()
        request = context.RequestContext(request_id, method=scope.get("method", "WS"))
        token = context.open_context(request)
        started = time.perf_counter()
        status = 500
        started_response = False

        async def send_with_id(message: dict[str, Any]) -> None:
            nonlocal status, started_response
            if message["type"] in ("http.response.start", "websocket.accept"):
                started_response = True
                request.route = route_template(scope)  # the router has matched by now
                _name_span(request)  # before the tracing middleware ends the span
                status = message.get("status", 101)
                headers = [(k, v) for k, v in message.get("headers", ()) if k != HEADER]
                headers.append((HEADER, request_id.encode("ascii")))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception as error:
            if started_response or scope["type"] != "http" or self.error_response is None:
                raise
            logger.opt(exception=error).error("unhandled error")
            await self.error_response()(scope, receive, send_with_id)
        finally:
            request.route = request.route or route_template(scope)
            elapsed = time.perf_counter() - started
            latency_ms = round(elapsed * 1000, 2)
            if scope["type"] == "http":
                metrics.observe_request(request.method, request.route, status, elapsed)
            quiet = scope.get("path", "") in _QUIET_PATHS
            logger.bind(
                method=request.method, status=status, latency_ms=latency_ms, access=True
            ).log(
                "DEBUG" if quiet else "INFO",
                "{} {} {} {}ms",
                request.method,
                request.route,
                status,
                latency_ms,
            )
            context.close_context(token)


def _name_span(request: context.RequestContext) -> None:
    """Low-cardinality span names (`GET /api/v1/shipments/{shipment_id}`), when tracing."""
    import sys

    trace = sys.modules.get("opentelemetry.trace")
    if trace is None:
        return
    span = trace.get_current_span()
    if span.is_recording():
        span.update_name(f"{request.method} {request.route}")
        span.set_attribute("http.route", request.route)
        span.set_attribute("lai.request_id", request.request_id)
