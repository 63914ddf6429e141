"""Traces and Reflex metrics of the real app in production mode, driven by a real browser."""

from __future__ import annotations

import time

import httpx
import pytest
from playwright.sync_api import Browser
from prometheus_client.parser import text_string_to_metric_families

from tests.e2e.conftest import DESKTOP
from tests.e2e.pages import signed_in
from tests.support.otlp import Receiver

pytestmark = pytest.mark.e2e


def _reflex_samples(app_url: str) -> dict[str, float]:
    totals: dict[str, float] = {}
    body = httpx.get(f"{app_url}/metrics", timeout=10).text
    for family in text_string_to_metric_families(body):
        for sample in family.samples:
            if sample.name.startswith("reflex_"):
                totals[sample.name] = totals.get(sample.name, 0.0) + sample.value
    return totals


def test_sign_in_is_traced_and_measured(
    browser: Browser, app_url: str, otlp_traces: Receiver
) -> None:
    page = signed_in(browser, app_url, "dispatcher@example.com", DESKTOP, "/dispatch")
    deadline = time.monotonic() + 30  # the batch exporter sends every 5 s
    events, routes = [], []
    while time.monotonic() < deadline and not (events and routes):
        time.sleep(1)
        spans = list(otlp_traces.spans)
        events = [s for s in spans if "reflex.event.name" in s.attributes]
        routes = [s for s in spans if s.attributes.get("http.route")]
    assert events, "no Reflex event handler span reached the OTLP receiver"
    assert routes, "no HTTP span named after its route reached the OTLP receiver"
    assert {s.service for s in spans} == {"logistics-ai"}
    # Each scrape reaches one of the two workers: ask a few times.
    found: dict[str, float] = {}
    for _ in range(10):
        found = _reflex_samples(app_url)
        if found.get("reflex_event_duration_seconds_count", 0) > 0:
            break
    assert found.get("reflex_event_duration_seconds_count", 0) > 0, found
    page.close()
