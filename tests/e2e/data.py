"""Each browser test builds the records it needs through the REST API, so tests do not
depend on each other's leftovers or on the order they run in."""

from __future__ import annotations

from typing import Any

import httpx

from tests.e2e.conftest import app_today
from tests.e2e.pages import DEMO_PASSWORD


def headers(app_url: str, email: str) -> dict[str, str]:
    response = httpx.post(
        f"{app_url}/api/v1/auth/token", json={"email": email, "password": DEMO_PASSWORD}
    )
    response.raise_for_status()
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def book_today(app_url: str, customer: str = "customer2@example.com", **extra: Any) -> dict:
    """A requested shipment for today (late-morning pickup), booked by `customer`."""
    day = app_today()
    body = {
        "pickup_address": "1200 N Clark St, Lincoln Park, Chicago, IL",
        "pickup_lat": 41.9214,
        "pickup_lon": -87.6513,
        "pickup_window_start": f"{day}T11:00:00",
        "pickup_window_end": f"{day}T14:00:00",
        "dropoff_address": "1600 W Chicago Ave, Ukrainian Village, Chicago",
        "dropoff_lat": 41.8960,
        "dropoff_lon": -87.6660,
        "dropoff_window_start": f"{day}T12:00:00",
        "dropoff_window_end": f"{day}T18:00:00",
        "recipient_name": "Ari Example",
        "weight_kg": 4,
        "volume_m3": 0.05,
        **extra,
    }
    response = httpx.post(
        f"{app_url}/api/v1/shipments", headers=headers(app_url, customer), json=body
    )
    assert response.status_code == 201, response.text
    return response.json()


def driver_id(app_url: str, driver: str) -> int:
    """The driver's id, read by the driver setting themselves available."""
    response = httpx.put(
        f"{app_url}/api/v1/drivers/me/status",
        headers=headers(app_url, driver),
        json={"status": "available"},
    )
    assert response.status_code == 200, response.text
    return int(response.json()["driver_id"])


def assign(app_url: str, shipment_id: int, driver: str) -> None:
    response = httpx.post(
        f"{app_url}/api/v1/shipments/{shipment_id}/assign",
        headers=headers(app_url, "dispatcher@example.com"),
        json={"driver_id": driver_id(app_url, driver)},
    )
    assert response.status_code == 200, response.text


def picked_up(app_url: str, code: str, driver: str) -> None:
    auth = headers(app_url, driver)
    route = httpx.get(f"{app_url}/api/v1/drivers/me/route", headers=auth).json()
    stop = next(s for s in route["stops"] if s["tracking_code"] == code and s["kind"] == "pickup")
    response = httpx.post(
        f"{app_url}/api/v1/stops/{stop['id']}/events", headers=auth, json={"event": "picked_up"}
    )
    assert response.status_code == 200, response.text
