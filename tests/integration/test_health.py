"""Readiness reports each dependency; the public tracking API hides PII and 404s cleanly."""

from __future__ import annotations

from fastapi.testclient import TestClient

from logistics_ai.api.app import create_api
from logistics_ai.db import session_scope
from logistics_ai.services import shipments
from tests.support import app_config, services
from tests.support.world import World, booking


def test_ready_when_database_and_redis_answer(clean_db: None) -> None:
    response = TestClient(create_api()).get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"] == {"database": "ok", "redis": "ok"}


def test_not_ready_names_the_failed_dependency(clean_db: None) -> None:
    dead = f"redis://127.0.0.1:{services.free_port()}/0"
    with app_config.configured(redis_url=dead):
        response = TestClient(create_api()).get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["redis"].startswith("unavailable")
    assert response.json()["checks"]["database"] == "ok"


def test_public_tracking_shows_first_name_and_city_only(world: World) -> None:
    with session_scope() as s:
        shipment = shipments.create_shipment(s, world.alice, booking(recipient_name="Jordan Lee"))
    client = TestClient(create_api())
    body = client.get(f"/api/v1/track/{shipment.tracking_code.lower()}").json()
    assert body["recipient_first_name"] == "Jordan"
    assert body["destination_city"] == "Chicago"
    text = str(body)
    assert "Lee" not in text and "555" not in text and "Lake Park" not in text
    missing = client.get("/api/v1/track/LA0000000000NOPE")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"
    assert client.get("/api/v1/nowhere").json()["error"]["code"] == "not_found"


def test_metrics_count_requests_by_route_template(clean_db: None) -> None:
    client = TestClient(create_api())
    client.get("/api/v1/track/LA0000000000NOPE")
    body = client.get("/metrics").text
    assert (
        'lai_http_requests_total{method="GET",route="/api/v1/track/{tracking_code}",status="404"}'
        in body
    )
    assert "lai_http_request_duration_seconds_bucket" in body
    assert "LA0000000000NOPE" not in body  # templates, not raw paths
