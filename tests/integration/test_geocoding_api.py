"""Address lookup through the API: the same service and field errors as the booking form."""

from __future__ import annotations

from tests.support.api import bearer, client, login
from tests.support.world import World, booking

URL = "/api/v1/geocode"


def test_geocode_places_a_demo_address_and_names_the_field_on_a_miss(world: World) -> None:
    http = client()
    token = login(http, "alice@test.example.com")["access_token"]
    found = http.get(URL, params={"address": "12 Main St, Pilsen"}, headers=bearer(token))
    assert found.status_code == 200, found.text
    body = found.json()
    # Pilsen's gazetteer centre is 41.8564, -87.6597; offsets stay within 0.004 (lat), 0.0054 (lon).
    assert abs(body["lat"] - 41.8564) <= 0.004 and abs(body["lon"] + 87.6597) <= 0.0055
    assert body["approximate"] is True and body["label"].startswith("Pilsen")

    missing = http.get(URL, params={"address": "Nowhere at all"}, headers=bearer(token))
    assert missing.status_code == 422
    assert "neighbourhood" in missing.json()["error"]["details"]["fields"]["address"]


def test_geocode_needs_a_signed_in_caller(world: World) -> None:
    assert client().get(URL, params={"address": "Pilsen"}).status_code == 401


def test_address_only_booking_uses_the_offline_gazetteer_by_default(world: World) -> None:
    http = client()
    token = login(http, "alice@test.example.com")["access_token"]
    body = {
        k: (v.isoformat() if hasattr(v, "isoformat") else v)
        for k, v in booking(pickup_address="12 Main St, Pilsen").items()
        if k not in ("pickup_lat", "pickup_lon")
    }
    created = http.post("/api/v1/shipments", json=body, headers=bearer(token))
    assert created.status_code == 201, created.text
    # Pilsen's gazetteer centre is 41.8564, -87.6597 (offsets as above).
    assert abs(created.json()["pickup_lat"] - 41.8564) <= 0.004
    assert created.json()["dropoff_lat"] == 41.7943  # sent coordinates are kept
