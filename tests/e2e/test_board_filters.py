"""The dashboard's status filter and search re-read the shipment page only; a new day re-reads
the whole board (fleet, map, alerts, tiles)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, WebSocket, expect

from tests.e2e import data
from tests.e2e.conftest import DESKTOP
from tests.e2e.pages import signed_in

pytestmark = pytest.mark.e2e

# The substate that holds the fleet rows and every stop of the day (state/dispatch.py): its
# name appears in a websocket frame only when the server sends it.
MAP_STATE = "dispatch_map_state"


def _record_frames(page: Page) -> list[str]:
    """What the page's websockets receive from now on (the page is reloaded so that the
    socket opened after sign-in is one of them)."""
    frames: list[str] = []

    def watch(socket: WebSocket) -> None:
        socket.on(
            "framereceived",
            lambda payload: frames.append(
                payload if isinstance(payload, str) else payload.decode(errors="replace")
            ),
        )

    page.on("websocket", watch)
    page.reload()
    expect(page.locator("#signed-in-user")).to_be_visible(timeout=20_000)
    return frames


def _sent_map(frames: list[str]) -> bool:
    return any(MAP_STATE in frame for frame in frames)


def _sent_map_within(page: Page, frames: list[str], seconds: float) -> bool:
    """Whether the fleet's state arrives within `seconds` (Playwright delivers frames while
    the page waits)."""
    for _ in range(int(seconds * 10)):
        if _sent_map(frames):
            return True
        page.wait_for_timeout(100)
    return _sent_map(frames)


def test_a_filter_or_search_reads_the_page_and_a_new_day_the_board(
    browser: Browser, app_url: str
) -> None:
    booked = data.book_today(app_url)
    page = signed_in(browser, app_url, "dispatcher@example.com", DESKTOP, "/dispatch")
    frames = _record_frames(page)
    drivers = page.get_by_role("list", name="Drivers").locator("[data-driver-id]")
    expect(drivers.first).to_be_attached(timeout=20_000)
    driver_count = drivers.count()
    # The load read the whole board: the detector sees the fleet's state when it is sent.
    assert _sent_map_within(page, frames, 5), "the load did not send the fleet (detector broken?)"

    frames.clear()
    before = page.inner_text("#result-count")
    page.get_by_label("Status").select_option("requested")
    rows = page.locator("#shipments-table tbody tr")
    expect(rows.first).to_be_visible()
    expect(rows.filter(has_not_text="Requested")).to_have_count(0)
    expect(page.locator("#result-count")).not_to_have_text(before)

    page.get_by_label("Search", exact=True).fill(booked["tracking_code"])
    page.get_by_role("button", name="Search", exact=True).click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(booked["tracking_code"])
    # The Drivers list was not re-read or re-rendered from a new fleet.
    page.wait_for_timeout(500)  # a frame sent with the answer would have arrived by now
    assert not _sent_map(frames), "a filter or search re-sent the fleet and the day's map"
    expect(drivers).to_have_count(driver_count)

    frames.clear()
    page.get_by_label("Service date").fill("2031-01-02")
    expect(page.locator("#result-count")).to_have_text("No shipments match")
    assert _sent_map_within(page, frames, 5), "a new day did not re-read the fleet and the map"
