"""Address-only booking through geopy's real Nominatim client against a local Nominatim server.

Found, ambiguous, not found and provider timeout, through `POST /api/v1/shipments` and
`GET /api/v1/geocode`; the answers are cached and coordinates sent by integrators skip the
geocoder.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlmodel import Session, select

from logistics_ai.models import Shipment
from tests.support import app_config
from tests.support.api import bearer, client, login
from tests.support.nominatim import NominatimServer, nominatim_server, place
from tests.support.world import World, booking

PICKUP = "1200 N Clark St, Chicago"
DROPOFF = "5300 S Lake Park Ave, Chicago"
AMBIGUOUS = "100 Main St"
MISSING = "1 Nowhere Lane"
SLOW = "77 Slow St, Chicago"
AGENT = "logistics-ai-tests/1.0 ops@test.example.com"


@pytest.fixture
def nominatim(world: World) -> Iterator[NominatimServer]:
    with nominatim_server() as server:
        server.answers = {
            PICKUP: [
                place(
                    41.9036512, -87.6313277, "1200, North Clark Street, Near North Side, Chicago"
                ),
                # The same place at street level, 300 m away: not a second candidate.
                place(41.9012, -87.6313, "North Clark Street, Near North Side, Chicago", 0.3),
            ],
            DROPOFF: [place(41.7981945, -87.5870162, "5300, South Lake Park Avenue, Chicago")],
            AMBIGUOUS: [
                place(41.8781, -87.6298, "100, Main Street, Evanston, Illinois"),
                place(42.0334, -88.0834, "100, Main Street, Schaumburg, Illinois"),
            ],
            SLOW: [place(41.88, -87.63, "77, Slow Street, Chicago")],
        }
        server.slow = {SLOW: 2.0}
        with app_config.configured(
            geocoder="nominatim",
            geocoder_url=server.url,
            geocoder_user_agent=AGENT,
            geocoder_timeout_seconds="0.4",
            geocoder_retries="1",
            geocoder_min_delay_seconds="0",
        ):
            yield server


def _book(**overrides: object) -> tuple[int, dict]:
    http = client()
    token = login(http, "alice@test.example.com")["access_token"]
    body = booking(**overrides)
    for key, value in list(body.items()):
        if value is None:
            del body[key]
        elif hasattr(value, "isoformat"):
            body[key] = value.isoformat()
    response = http.post("/api/v1/shipments", json=body, headers=bearer(token))
    return response.status_code, response.json() | {"_headers": dict(response.headers)}


ADDRESS_ONLY = {"pickup_lat": None, "pickup_lon": None, "dropoff_lat": None, "dropoff_lon": None}


def test_address_only_booking_is_geocoded_and_cached(
    nominatim: NominatimServer, session: Session
) -> None:
    status, body = _book(pickup_address=PICKUP, dropoff_address=DROPOFF, **ADDRESS_ONLY)
    assert status == 201, body
    assert (body["pickup_lat"], body["pickup_lon"]) == (41.903651, -87.631328)
    assert (body["dropoff_lat"], body["dropoff_lon"]) == (41.798195, -87.587016)
    _query, params, agent = nominatim.requests[0]
    assert agent == AGENT and params["countrycodes"] == "us" and params["limit"] == "5"

    status, _ = _book(pickup_address=PICKUP, dropoff_address=DROPOFF, **ADDRESS_ONLY)
    assert status == 201
    assert nominatim.queries(PICKUP) == 1 and nominatim.queries(DROPOFF) == 1  # cached

    # Integrators' coordinates are taken as sent; the geocoder is not asked.
    status, body = _book(pickup_address="9 Integrator Way, Chicago")
    assert status == 201 and body["pickup_lat"] == 41.9214
    assert nominatim.queries("9 Integrator Way, Chicago") == 0
    assert len(session.exec(select(Shipment)).all()) == 3


def test_ambiguous_and_unknown_addresses_are_field_errors(
    nominatim: NominatimServer, session: Session
) -> None:
    status, body = _book(pickup_address=AMBIGUOUS, dropoff_address=MISSING, **ADDRESS_ONLY)
    assert status == 422, body
    fields = body["error"]["details"]["fields"]
    assert "Evanston" in fields["pickup_address"] and "Schaumburg" in fields["pickup_address"]
    assert "could not find" in fields["dropoff_address"]

    status, body = _book(pickup_lat=None)  # half a coordinate pair
    assert status == 422
    assert "pickup_lat" in body["error"]["details"]["fields"]
    assert session.exec(select(Shipment)).all() == []

    http = client()
    token = login(http, "bob@test.example.com")["access_token"]
    found = http.get("/api/v1/geocode", params={"address": DROPOFF}, headers=bearer(token))
    assert found.status_code == 200
    assert found.json() == {
        "lat": 41.798195,
        "lon": -87.587016,
        "label": "5300, South Lake Park Avenue, Chicago",
        "approximate": False,
    }
    missing = http.get("/api/v1/geocode", params={"address": MISSING}, headers=bearer(token))
    assert missing.status_code == 422 and "address" in missing.json()["error"]["details"]["fields"]


def test_provider_timeout_is_a_503_and_books_nothing(
    nominatim: NominatimServer, session: Session
) -> None:
    status, body = _book(pickup_address=SLOW, pickup_lat=None, pickup_lon=None)
    assert status == 503, body
    assert body["error"]["code"] == "service_unavailable"
    assert body["error"]["details"]["field"] == "pickup_address"
    assert body["_headers"]["retry-after"] == "5"
    assert nominatim.queries(SLOW) == 2  # the request and its one retry
    assert session.exec(select(Shipment)).all() == []
    # A timeout is not cached: the next attempt asks the provider again.
    nominatim.slow.clear()
    status, body = _book(pickup_address=SLOW, pickup_lat=None, pickup_lon=None)
    assert status == 201 and body["pickup_lat"] == 41.88
