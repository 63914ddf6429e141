"""/metrics through the real API: RED per route (5xx included), KPIs, outbox, bus, optimizer."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text

from logistics_ai.db import get_engine, session_scope
from logistics_ai.domain import clock
from logistics_ai.realtime.bus import RedisBus
from logistics_ai.services import assignment, drivers, ops_metrics, shipments
from tests.support import api
from tests.support.world import World, booking


def scrape(http) -> dict[tuple[str, tuple], float]:  # type: ignore[no-untyped-def]
    body = http.get("/metrics").text
    samples: dict[tuple[str, tuple], float] = {}
    for family in text_string_to_metric_families(body):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_red_metrics_count_every_route_and_unhandled_errors(app_services: None) -> None:
    app = api.create_api()

    def explode() -> None:
        raise RuntimeError("boom")

    app.add_api_route("/test-only/explode-metrics", explode)
    http = api.TestClient(app, raise_server_exceptions=False)
    before = scrape(http)
    for _ in range(3):
        assert http.get("/healthz").status_code == 200
    assert http.get("/api/v1/no-such-thing").status_code == 404
    assert http.get("/test-only/explode-metrics").status_code == 500
    after = scrape(http)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    total = "lai_http_requests_total"
    assert delta(total, method="GET", route="/healthz", status="200") == 3
    assert delta(total, method="GET", route="/api/{rest:path}", status="404") == 1
    assert delta(total, method="GET", route="/test-only/explode-metrics", status="500") == 1
    count = "lai_http_request_duration_seconds_count"
    assert delta(count, method="GET", route="/healthz") == 3
    assert (
        value(after, "lai_http_requests_total", method="GET", route="/metrics", status="200") == 0
    )


def _book_today(world: World) -> int:
    with session_scope() as s:
        shipment = shipments.create_shipment(s, world.alice, booking())
    with get_engine().begin() as connection:  # the flows below need today's service day
        connection.execute(
            text("UPDATE shipments SET service_date = :day WHERE id = :id"),
            {"day": clock.today_local(), "id": shipment.id},
        )
    return shipment.id  # type: ignore[return-value]


def _stops(shipment_id: int) -> dict[str, int]:
    with session_scope() as s:
        return {st.kind: st.id for st in assignment.shipment_stops(s, shipment_id)}  # type: ignore[misc]


def _deliver(world: World, shipment_id: int) -> None:
    with session_scope() as s:
        assignment.assign_shipment(s, world.dispatcher, shipment_id, world.dave.driver_id)  # type: ignore[arg-type]
    stops = _stops(shipment_id)
    with session_scope() as s:
        drivers.record_stop_event(s, world.dave, stops["pickup"], "picked_up")
    with session_scope() as s:
        drivers.record_stop_event(s, world.dave, stops["dropoff"], "delivered")


def test_business_kpis_and_outbox_backlog(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ops_metrics, "CACHE_SECONDS", 0.0)
    on_time, late, failed = _book_today(world), _book_today(world), _book_today(world)
    _deliver(world, on_time)
    now = datetime.now(UTC)
    with get_engine().begin() as connection:  # its windows closed an hour ago: delivered late
        connection.execute(
            text(
                "UPDATE shipments SET pickup_window_start = :p0, pickup_window_end = :p1, "
                "dropoff_window_start = :p1, dropoff_window_end = :d1 WHERE id = :id"
            ),
            {
                "p0": now - timedelta(hours=4),
                "p1": now - timedelta(hours=3),
                "d1": now - timedelta(hours=1),
                "id": late,
            },
        )
    _deliver(world, late)
    with session_scope() as s:
        assignment.assign_shipment(s, world.dispatcher, failed, world.erin.driver_id)
    with session_scope() as s:
        drivers.record_stop_event(
            s, world.erin, _stops(failed)["pickup"], "failed", reason="Recipient not home"
        )
    with get_engine().begin() as connection:
        pending = connection.execute(
            text("SELECT count(*) FROM notifications WHERE status = 'pending'")
        ).scalar_one()
        connection.execute(
            text(
                "INSERT INTO notifications (channel, recipient, template, payload, status, "
                "attempts, created_at) VALUES ('email', 'x', 't', '{}', 'pending', 0, :at)"
            ),
            {"at": datetime.now(UTC) - timedelta(minutes=5)},
        )
    samples = scrape(api.client())
    assert value(samples, "lai_shipments_today", status="delivered") == 2
    assert value(samples, "lai_shipments_today", status="failed") == 1
    assert value(samples, "lai_deliveries_today") == 2
    assert value(samples, "lai_deliveries_on_time_today") == 1
    assert value(samples, "lai_delivery_failures_today", reason="recipient_absent") == 1
    assert value(samples, "lai_outbox_pending") == pending + 1
    assert 300 <= value(samples, "lai_outbox_oldest_pending_age_seconds") < 400


def test_failure_reasons_become_bounded_classes() -> None:
    assert ops_metrics.failure_class("Business closed at pickup") == "closed"
    assert ops_metrics.failure_class("Customer refused the parcel") == "refused"
    assert ops_metrics.failure_class("Call Jane on 312 555 0100") == "other"
    assert ops_metrics.failure_class(None) == "other"


def test_event_bus_lag_is_observed_on_redis(
    app_services: None, redis_url: str, redis_prefix: str
) -> None:
    bus = RedisBus(redis_url, redis_prefix + "lagtest:")
    received: list[dict] = []
    http = api.client()
    before = value(scrape(http), "lai_event_bus_lag_seconds_count", channel="lag")
    unsubscribe = bus.subscribe("lag", lambda _channel, payload: received.append(payload))
    try:
        time.sleep(0.3)  # the subscription is live once the thread has subscribed
        bus.publish("lag", {"shipment_id": 7})
        deadline = time.monotonic() + 5
        while not received and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        unsubscribe()
    assert received == [{"shipment_id": 7}]  # the send time is not handed to subscribers
    assert value(scrape(http), "lai_event_bus_lag_seconds_count", channel="lag") == before + 1


def test_optimizer_runs_and_gaps_are_counted(world: World) -> None:
    http = api.client()
    token = api.login(http, "dispatch@test.example.com")["access_token"]
    before = scrape(http)
    matrix = [[0, 10], [10, 0]]
    body = {
        "stops": [
            {"id": "a", "location": {"index": 1}, "demand": [3]},
            {"id": "heavy", "location": {"index": 1}, "demand": [50]},
        ],
        "vehicles": [{"id": "v1", "capacity": [10], "start": {"index": 0}, "end": {"index": 0}}],
        "matrix": {"durations": matrix, "distances": matrix},
        "budget_seconds": 0.2,
    }
    response = http.post("/api/v1/optimize", headers=api.bearer(token), json=body)
    assert response.status_code == 200, response.text
    after = scrape(http)
    runs = "lai_optimizer_runs_total"
    solver = response.json().get("solver", "pyvrp")
    assert (
        value(after, runs, solver=solver, outcome="ok")
        == value(before, runs, solver=solver, outcome="ok") + 1
    )
    gaps = "lai_optimizer_unassigned_total"
    assert value(after, gaps, reason="capacity") == value(before, gaps, reason="capacity") + 1


def test_reflex_websocket_and_event_instruments_are_exported(app_services: None) -> None:
    from reflex_base import otel

    http = api.client()  # installs the Reflex meter provider
    assert otel.enabled
    otel.record_connection(1)
    samples = scrape(http)
    otel.record_connection(-1)
    names = {name for name, _ in samples}
    assert "reflex_websocket_connections" in names, sorted(n for n in names if "reflex" in n)
