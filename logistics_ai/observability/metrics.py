"""Prometheus metrics: RED per route, event bus, optimizer, and the /metrics response.

Per Reflex event and websocket metrics come from Reflex's own instruments (reflex_metrics);
business KPIs and the outbox backlog are read from the database at scrape time by a collector
that the API registers (`register_collector`), so this module stays free of the data layer.
"""

from __future__ import annotations

import threading
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    Counter,
    Histogram,
    generate_latest,
)
from starlette.responses import Response

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)

# RED per route template: Rate and Errors from the counter (status label), Duration from the
# histogram. Recorded by the request-id middleware, which also sees unhandled errors (500).
REQUESTS = Counter("lai_http_requests_total", "HTTP API requests", ["method", "route", "status"])
LATENCY = Histogram(
    "lai_http_request_duration_seconds",
    "HTTP API request latency",
    ["method", "route"],
    buckets=LATENCY_BUCKETS,
)
_UNMEASURED_ROUTES = frozenset({"/metrics"})

BUS_LAG = Histogram(
    "lai_event_bus_lag_seconds",
    "Time from publishing an event to a subscriber receiving it",
    ["channel"],
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
BUS_PUBLISH_FAILURES = Counter(
    "lai_event_bus_publish_failures_total", "Events that could not be published", ["channel"]
)

AUTH_SESSION_CHECKS = Counter(
    "lai_auth_session_checks_total",
    "Per-request session checks of API tokens, by where the answer came from "
    "(memory: security/session_cache.py; store: one Redis round trip)",
    ["source"],
)

# The event-loop watchdog's (observability/loop_watch.py).
LOOP_LAG = Histogram(
    "lai_event_loop_lag_seconds",
    "How late the event loop ran a 50 ms timer (time the loop could not serve anyone)",
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
LOOP_STALLS = Counter(
    "lai_event_loop_stalls_total", "Times the event loop was held longer than 250 ms"
)

OPTIMIZER_RUNS = Counter("lai_optimizer_runs_total", "Route optimizer runs", ["solver", "outcome"])
OPTIMIZER_DURATION = Histogram(
    "lai_optimizer_duration_seconds",
    "Wall time of one optimizer run (matrix, pre-checks and search)",
    ["solver"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120),
)
OPTIMIZER_UNASSIGNED = Counter(
    "lai_optimizer_unassigned_total",
    "Shipments an optimizer run could not place (gaps in the plan), by reason",
    ["reason"],
)


# The metrics' children per (method, route, status): `labels()` validates and looks up its
# arguments on every call (~1.5% of an authenticated read's CPU, docs/performance.md, Round 7).
# Routes are templates, so the keys are few.
_request_children: dict[tuple[str, str, int], tuple[Any, Any]] = {}


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    if route in _UNMEASURED_ROUTES:
        return
    key = (method, route, status)
    children = _request_children.get(key)
    if children is None:
        children = LATENCY.labels(method, route), REQUESTS.labels(method, route, str(status))
        _request_children[key] = children
    latency, requests = children
    latency.observe(seconds)
    requests.inc()


def observe_optimizer_run(solver: str, seconds: float, unassigned_reasons: list[str]) -> None:
    OPTIMIZER_RUNS.labels(solver, "ok").inc()
    OPTIMIZER_DURATION.labels(solver).observe(seconds)
    for reason in unassigned_reasons:
        OPTIMIZER_UNASSIGNED.labels(reason).inc()


def observe_optimizer_failure(solver: str) -> None:
    OPTIMIZER_RUNS.labels(solver, "error").inc()


_registered: set[str] = set()
_lock = threading.Lock()


def register_collector(name: str, collector: Any) -> None:
    """Register a scrape-time collector once per process (the API factory runs per test)."""
    with _lock:
        if name in _registered:
            return
        REGISTRY.register(collector)
        _registered.add(name)


def metrics_response() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
