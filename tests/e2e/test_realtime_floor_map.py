"""`bench realtime --floor-page map`: the floor's page with a live Leaflet map, in Chromium.

The map floor is what a page that must show a live map costs at the least (docs/realtime.md,
Round 11). It is only a floor if it does the map's work: every driver a marker on a Leaflet map
drawn without tiles, and a posted fix moving both the driver's row (the DOM contract the bench
observes) and its marker. The app fixture builds the product first: the page serves the
Leaflet that build installed.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page

from loadtests.api_bench import free_port
from loadtests.realtime_bench import LEAFLET_DIST, FloorServer
from loadtests.realtime_floor import DRIVER_PREFIX

pytestmark = pytest.mark.e2e

DRIVERS = 3


@pytest.fixture(params=["map", "map-canvas"])
def map_floor(app_url: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    assert (LEAFLET_DIST / "leaflet.js").is_file()  # app_url built the product's frontend
    server = FloorServer(DRIVERS, free_port(), tmp_path / "floor.log", page=request.param)
    try:
        server.wait_ready()
        yield server.url
    finally:
        server.stop()


def _marker_positions(page: Page) -> list[str]:
    """Where the map holds each driver's marker (the page's `markers`, by driver id)."""
    return page.evaluate(
        "[...markers.values()].map(m => m.getLatLng())"
        ".map(p => `${p.lat.toFixed(5)},${p.lng.toFixed(5)}`)"
    )


def _icon_boxes(page: Page) -> list[tuple[float, float]]:
    """Where each marker element is drawn (the `map` page: an element per marker)."""
    return [
        (box["x"], box["y"])
        for box in page.eval_on_selector_all(
            "#map .leaflet-marker-icon",
            "icons => icons.map(icon => icon.getBoundingClientRect().toJSON())",
        )
    ]


def test_a_posted_fix_moves_the_row_and_the_marker(map_floor: str, page: Page) -> None:
    page.goto(map_floor)
    page.wait_for_function("typeof markers !== 'undefined' && markers.size === 3")
    # The map draws on its plain background: no tile layer, nothing fetched from outside.
    assert page.locator("#map .leaflet-tile").count() == 0
    on_canvas = page.locator("#map .leaflet-marker-icon").count() == 0
    if on_canvas:  # map-canvas: the markers are drawn on the map's one canvas
        assert page.locator("#map canvas").count() == 1
    else:
        assert page.locator("#map .leaflet-marker-icon").count() == 3
        boxes_before = _icon_boxes(page)
        assert len(set(boxes_before)) == 1  # every driver starts at the depot
    before = _marker_positions(page)
    assert len(set(before)) == 1
    token = httpx.post(
        f"{map_floor}/api/v1/auth/token",
        json={"email": f"{DRIVER_PREFIX}2", "password": "unused"},
    ).json()["access_token"]
    fix = {"lat": 41.91234, "lon": -87.65432, "recorded_at": "2026-12-01T10:00:00+00:00"}
    moved = False
    # A fix posted before the page's socket is connected is pushed to nobody: post again
    # until one arrives.
    for attempt in range(20):
        response = httpx.post(
            f"{map_floor}/api/v1/drivers/me/location",
            json={"pings": [fix]},
            headers={"Authorization": f"Bearer {token}", "Idempotency-Key": f"k{attempt}"},
        )
        assert response.status_code == 200
        if page.locator('[data-driver-id="2"]').get_attribute("data-lat") == "41.91234":
            moved = True
            break
        page.wait_for_timeout(250)
    assert moved
    assert page.locator('[data-driver-id="2"]').get_attribute("data-lng") == "-87.65432"
    # Driver 2's marker moved with the same message; the others stayed at the depot.
    after = _marker_positions(page)
    assert after == [before[0], "41.91234,-87.65432", before[2]]
    if not on_canvas:
        boxes_after = _icon_boxes(page)
        assert boxes_after[1] != boxes_before[1]
        assert boxes_after[0] == boxes_before[0] and boxes_after[2] == boxes_before[2]
