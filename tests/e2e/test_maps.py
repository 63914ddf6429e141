"""The live maps in Chromium: a marker per driver on the dashboard, selection both ways, and a
customer booking by address only (suggestions while typing, the point on the map)."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, WebSocket, expect

from tests.e2e import data
from tests.e2e.conftest import DESKTOP, MOBILE
from tests.e2e.pages import signed_in

pytestmark = pytest.mark.e2e

# 1200 N Clark St, Chicago, as a street map places it (independent of the app's geocoder).
CLARK_1200 = (41.9037, -87.6313)


def _titled(prefix: str) -> str:
    """Leaflet markers whose title starts with `prefix` (quoted for CSS: names have quotes)."""
    return f".leaflet-marker-icon[title^={json.dumps(prefix)}]"


def _located_drivers(app_url: str) -> list[dict]:
    """Drivers with a reported position, from the REST API (a GPS fix sets last_seen)."""
    response = httpx.get(
        f"{app_url}/api/v1/fleet", headers=data.headers(app_url, "dispatcher@example.com")
    )
    response.raise_for_status()
    return [row for row in response.json() if row["last_seen"]]


def test_dashboard_map_shows_every_driver_and_selects_both_ways(
    browser: Browser, app_url: str
) -> None:
    located = _located_drivers(app_url)
    assert located, "the seeded city has drivers with positions"
    page = signed_in(browser, app_url, "dispatcher@example.com", DESKTOP, "/dispatch")
    fleet_map = page.get_by_role(
        "region", name="Fleet map: routes, stops and each driver's position"
    )
    expect(fleet_map).to_be_visible()
    # Drivers are dots on a canvas of their own (not an element each: docs/realtime.md, Round
    # 11), each named by the driver and their status in a list beside the map.
    expect(fleet_map.locator(".lai-fleet canvas")).to_have_count(1)
    expect(fleet_map.locator(".leaflet-marker-icon")).to_have_count(0)
    names = page.get_by_role(
        "list", name="Fleet map: routes, stops and each driver's position: drivers"
    )
    expect(names.locator("li.lai-driver")).to_have_count(len(located), timeout=20_000)
    for driver in located:
        expect(names.locator(f"li[title^={json.dumps(driver['name'] + ', ')}]")).to_have_count(1)
    # Stops are dots on one canvas too, named in a list beside the map.
    expect(fleet_map.locator(".lai-stops canvas")).to_have_count(1)
    expect(fleet_map.locator(".leaflet-marker-icon.lai-stop")).to_have_count(0)
    stops = page.get_by_role(
        "list", name="Fleet map: routes, stops and each driver's position: stops"
    )
    expect(stops.locator("li.lai-stop").first).to_have_attribute(
        "title", re.compile(r"^(Pickup|Drop-off) \S+, ")
    )
    expect(fleet_map.locator("path.leaflet-interactive").first).to_be_attached()  # route lines

    # A click on a driver's dot selects that driver in the Drivers list. The dot is pixels
    # on the canvas: the map says where it draws the driver's position (the list row's). Dots
    # may overlap (the top one takes the click), so the driver selected must be one of those
    # drawn under the pointer.
    drivers = page.get_by_role("list", name="Drivers")
    target = _driver_dot(page)
    box = fleet_map.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + target["x"], box["y"] + target["y"])
    chosen = drivers.locator("li[data-selected='true']")
    expect(chosen).to_have_count(1)
    first = str(chosen.get_attribute("data-driver-id"))
    assert first in target["under"], (first, target)
    expect(names.locator("li.lai-driver-selected")).to_have_attribute("data-marker-for", first)

    # And a driver chosen in the list is the dot drawn selected.
    second = next(d for d in located if str(d["id"]) != first)
    drivers.get_by_role("button", name=second["name"], exact=True).click()
    selected = names.locator("li.lai-driver-selected")
    expect(selected).to_have_count(1)
    expect(selected).to_have_attribute("title", f"{second['name']}, " + _status(second))
    expect(drivers.locator(f"li[data-driver-id='{first}']")).to_have_attribute(
        "data-selected", "false"
    )


def _driver_dot(page: Page) -> dict[str, Any]:
    """Where the fleet map draws a driver's dot (container pixels, away from the zoom buttons
    and the edges), from the Drivers list's positions and the map's own projection, with the
    ids of every driver whose dot covers that point."""
    found = page.evaluate(
        """() => {
            const map = document.querySelector("#fleet-map .leaflet-container").leafletMap;
            const size = map.getSize();
            const shown = [...document.querySelectorAll("[aria-label='Drivers'] li[data-lat]")]
                .filter(li => li.dataset.lat && li.dataset.lng)
                .map(li => {
                    const p = map.latLngToContainerPoint([+li.dataset.lat, +li.dataset.lng]);
                    return { id: li.dataset.driverId, x: p.x, y: p.y };
                });
            const clear = d => d.x > 16 && d.y > 16 && d.x < size.x - 16 && d.y < size.y - 16
                && !(d.x < 60 && d.y < 100);
            const d = shown.find(clear);
            if (!d) return null;
            // A dot is 11 px in radius (15 selected) plus the click tolerance.
            const under = shown.filter(o => Math.hypot(o.x - d.x, o.y - d.y) <= 20).map(o => o.id);
            return { id: d.id, x: d.x, y: d.y, under };
        }"""
    )
    assert found, "a driver's dot inside the fleet map"
    return dict(found)


def _status(driver: dict) -> str:
    return str(driver["status"]).replace("_", " ")


def _event_frames(page: Page, sent: list[str]) -> None:
    def watch(socket: WebSocket) -> None:
        socket.on("framesent", lambda payload: sent.append(str(payload)))

    page.on("websocket", watch)


def _address_lookups(sent: list[str], field: str) -> int:
    """Frames that sent the booking form's address field to the server."""
    return sum(1 for frame in sent if "set_field" in frame and json.dumps(field) in frame)


def test_customer_books_by_address_only(browser: Browser, app_url: str) -> None:
    page = signed_in(browser, app_url, "customer2@example.com", MOBILE, "/customer")
    sent: list[str] = []
    _event_frames(page, sent)
    page.reload()  # a new socket, now watched
    expect(page.locator("#signed-in-user")).to_be_visible(timeout=20_000)
    form = page.get_by_role("form", name="Book a delivery")
    expect(form.locator("input[id*='lat'], input[id*='lon'], input[name*='lat']")).to_have_count(0)

    pickup = page.locator("#pickup_address")
    pickup.click()
    pickup.press_sequentially("1200 N Clark St", delay=40)  # 15 keystrokes, no pause
    suggestions = page.get_by_role("list", name="Suggested pickup addresses")
    expect(suggestions).to_be_visible(timeout=10_000)
    # Debounced in the browser: one lookup for the whole burst of typing, not one per key.
    assert _address_lookups(sent, "pickup_address") == 1, sent
    suggestions.get_by_role("button", name="1200 N Clark St, Chicago, IL").click()
    expect(pickup).to_have_value("1200 N Clark St, Chicago, IL")
    expect(page.locator("#pickup_place")).to_contain_text("Found: ")
    booking_map = page.get_by_role("region", name="Map of the chosen pickup and delivery points")
    expect(booking_map.locator(_titled("Pickup: "))).to_have_count(1)

    page.locator("#dropoff_address").fill("5300 S Lake Park Ave, Hyde")
    page.get_by_role("list", name="Suggested delivery addresses").get_by_role(
        "button", name="5300 S Lake Park Ave, Hyde Park, Chicago, IL"
    ).click()
    expect(booking_map.locator(_titled("Delivery: "))).to_have_count(1)
    expect(booking_map.locator(".leaflet-marker-icon")).to_have_count(2)

    page.locator("#pickup_from").fill("11:00")
    page.locator("#pickup_to").fill("13:00")
    page.locator("#dropoff_from").fill("13:00")
    page.locator("#dropoff_to").fill("16:00")
    page.get_by_label("Recipient name").fill("Robin Map")
    page.get_by_label("Weight (kg)").fill("3")
    page.get_by_role("button", name="Book delivery").click()
    booked = page.locator("#booked-code")
    expect(booked).to_be_visible(timeout=15_000)
    code = booked.inner_text().strip()
    expect(page.locator(f"li[data-code='{code}']")).to_contain_text("Requested")
    expect(booking_map).to_have_count(0)  # the form starts over

    found = httpx.get(
        f"{app_url}/api/v1/shipments",
        params={"search": code},
        headers=data.headers(app_url, "customer2@example.com"),
    ).json()["items"]
    [shipment] = [item for item in found if item["tracking_code"] == code]
    assert shipment["pickup_address"] == "1200 N Clark St, Chicago, IL"
    # Geocoded on the server from the address alone, close to the real building.
    assert abs(shipment["pickup_lat"] - CLARK_1200[0]) < 0.005
    assert abs(shipment["pickup_lon"] - CLARK_1200[1]) < 0.005


def test_unknown_address_is_a_field_error(browser: Browser, app_url: str) -> None:
    page = signed_in(browser, app_url, "customer2@example.com", MOBILE, "/customer")
    page.locator("#pickup_address").fill("Qwertyuiop Boulevard 99")
    expect(page.locator("#pickup_address-error")).to_contain_text("No matching address found")
    expect(page.get_by_role("list", name="Suggested pickup addresses")).to_have_count(0)
