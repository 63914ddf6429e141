"""Prometheus metrics of the AI layer (exported on /metrics with the API's own)."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

CALLS = Counter("lai_ai_calls_total", "AI model calls", ["task", "outcome"])
TOKENS = Counter("lai_ai_tokens_total", "AI tokens used", ["task", "kind"])
LATENCY = Histogram(
    "lai_ai_call_duration_seconds",
    "AI model call latency (one attempt)",
    ["task"],
    buckets=(0.1, 0.25, 0.5, 1, 2, 4, 8, 16, 32),
)
FAILURES = Counter("lai_ai_failures_total", "Failed AI call attempts", ["task", "reason"])
ANSWERS = Counter("lai_ai_answers_total", "AI feature answers by path", ["feature", "source"])
