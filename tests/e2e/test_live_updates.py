"""Three screens open at once; the driver works on the phone, the others move on their own.

The app runs with two workers and Redis (tests/e2e/conftest.py), so the driver's events, the
dashboard and the tracking page may each be served by a different worker process: the pushes
cross processes through the Redis bus. No page is reloaded after its first load.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import create_engine, text

from tests.e2e import data
from tests.e2e.conftest import DESKTOP, MOBILE
from tests.e2e.pages import signed_in
from tests.support import services

pytestmark = pytest.mark.e2e

DRIVER = "aisha.khan@drivers.example.com"  # no other browser test drives with her
LIVE_TIMEOUT = 10_000  # ms; a loaded CI machine, not the latency target (bench realtime)


def _kpi(page: Page, key: str) -> int:
    tile = page.locator(f"[data-kpi='{key}']")
    expect(tile).not_to_be_empty()
    return int(tile.inner_text())


def _send_position(app_url: str, lat: float, lon: float) -> None:
    response = httpx.post(
        f"{app_url}/api/v1/drivers/me/location",
        headers=data.headers(app_url, DRIVER),
        json={"pings": [{"lat": lat, "lon": lon}]},
    )
    assert response.status_code == 200, response.text


def _set_status(app_url: str, status: str) -> None:
    response = httpx.put(
        f"{app_url}/api/v1/drivers/me/status",
        headers=data.headers(app_url, DRIVER),
        json={"status": status},
    )
    assert response.status_code == 200, response.text


def _next_open_stop(app_url: str) -> tuple[str, str]:
    """(tracking code, kind) of the driver's first open stop, from her route in the API."""
    route = httpx.get(
        f"{app_url}/api/v1/drivers/me/route", headers=data.headers(app_url, DRIVER)
    ).json()
    first = next(s for s in route["stops"] if s["status"] in ("pending", "arrived"))
    return first["tracking_code"], first["kind"]


def test_driver_events_reach_dashboard_tracking_and_customer_live(
    browser: Browser, app_url: str
) -> None:
    shipment = data.book_today(app_url, customer="customer@example.com")
    code, shipment_id = shipment["tracking_code"], shipment["id"]
    # Booked now (an open shipment before the tiles are read), assigned later.
    second = data.book_today(app_url, customer="customer2@example.com")
    data.assign(app_url, shipment_id, DRIVER)
    driver_id = data.driver_id(app_url, DRIVER)

    dispatcher = signed_in(browser, app_url, "dispatcher@example.com", DESKTOP, "/dispatch")
    dispatcher.get_by_role("textbox", name="Search").fill(code)
    dispatcher.get_by_role("button", name="Search", exact=True).click()
    row = dispatcher.locator(f"tr[data-shipment-id='{shipment_id}']")
    expect(row).to_have_attribute("data-status", "assigned")
    marker = dispatcher.locator(f"[data-driver-id='{driver_id}']")
    expect(marker).to_have_count(1)
    open_before = _kpi(dispatcher, "open")
    moving_before = _kpi(dispatcher, "in_transit")
    delivered_before = _kpi(dispatcher, "delivered_today")

    customer = signed_in(browser, app_url, "customer@example.com", MOBILE, "/customer")
    card = customer.locator(f"li[data-code='{code}']")
    expect(card).to_contain_text("Driver assigned")
    tracking = customer.context.new_page()
    tracking.goto(f"/track/{code}")
    expect(tracking.locator("#tracking-status")).to_have_text("Driver assigned")

    driver = signed_in(browser, app_url, DRIVER, MOBILE, "/driver")
    # Dispatch adds a second shipment to her day while her app is open: it appears by itself.
    data.assign(app_url, second["id"], DRIVER)
    expect(driver.locator(f"li[data-code='{second['tracking_code']}']")).to_have_count(
        2, timeout=LIVE_TIMEOUT
    )

    # Her route on the map carries the shipment's stops (pushed with the assignment).
    pickup_dot = dispatcher.locator(f"#fleet-map .lai-stop[title^='Pickup {code}, ']")
    expect(pickup_dot).to_have_attribute("title", re.compile(r", pending"), timeout=LIVE_TIMEOUT)
    driver.get_by_role("button", name=f"Mark {code} picked up").click()
    expect(row).to_have_attribute("data-status", "picked_up", timeout=LIVE_TIMEOUT)
    # ...and the picked-up stop is redrawn as done, from the route pushed after the event.
    expect(pickup_dot).to_have_attribute("title", re.compile(r", done"), timeout=LIVE_TIMEOUT)
    expect(dispatcher.locator("[data-kpi='open']")).to_have_text(
        str(open_before - 1), timeout=LIVE_TIMEOUT
    )
    expect(dispatcher.locator("[data-kpi='in_transit']")).to_have_text(str(moving_before + 1))
    expect(tracking.locator("#tracking-status")).to_have_text("Picked up", timeout=LIVE_TIMEOUT)
    expect(tracking.get_by_label("Status history")).to_contain_text("Picked up by the driver")
    expect(card).to_contain_text("Picked up", timeout=LIVE_TIMEOUT)

    # A GPS fix through the REST API moves her marker on the dashboard. The public page of
    # this shipment shows it only if its drop-off is now her next open stop (the seed may
    # have put earlier stops on her day), and the second shipment's page, assigned but not
    # next and not in transit, never does.
    other = customer.context.new_page()
    other.goto(f"/track/{second['tracking_code']}")
    expect(other.locator("#tracking-status")).to_have_text("Driver assigned")
    # Her dot on the map moves with the same push. It is drawn on the fleet's canvas
    # (components/live_map.jsx): the map's layer for her, found by its tooltip, says where.
    placed_before = dispatcher.evaluate(_DOT, "Aisha Khan")
    assert placed_before, "her dot is on the fleet map"
    _send_position(app_url, 41.90123, -87.65432)
    expect(marker).to_have_attribute("data-lat", "41.90123", timeout=LIVE_TIMEOUT)
    expect(marker).to_have_attribute("data-lng", "-87.65432")
    dispatcher.wait_for_function(
        f"(name) => ({_DOT})(name)?.at === '41.90123,-87.65432'",
        arg="Aisha Khan",
        timeout=LIVE_TIMEOUT,
    )
    # A shift status pushed to the dashboard repaints her dot in place (the same layer, not a
    # new one), named and coloured for the new status.
    dispatcher.evaluate(f"(name) => {{ ({_DOT_LAYER})(name).probe = 'kept'; }}", "Aisha Khan")
    for status, label, colour in (
        ("on_break", "on break", "#ad5700"),  # DRIVER_COLORS in state/map_rows.py
        ("available", "available", "#18794e"),
    ):
        _set_status(app_url, status)
        names = dispatcher.locator("#fleet-map li.lai-driver")
        expect(names.filter(has_text=f"Aisha Khan, {label}")).to_have_count(1, timeout=LIVE_TIMEOUT)
        dot = dispatcher.evaluate(_DOT, "Aisha Khan")
        assert dot["title"] == f"Aisha Khan, {label}" and dot["probe"] == "kept", dot
        assert dot["color"].lower() == colour, (status, dot)
    if _next_open_stop(app_url) == (code, "dropoff"):
        position = tracking.locator("#driver-position")
        expect(position).to_have_attribute("data-lat", "41.90123", timeout=LIVE_TIMEOUT)
    else:
        expect(tracking.locator("#driver-position")).to_have_count(0)
    expect(other.locator("#driver-position")).to_have_count(0)

    driver.get_by_role("button", name=f"Mark {code} delivered").click()
    expect(row).to_have_attribute("data-status", "delivered", timeout=LIVE_TIMEOUT)
    expect(dispatcher.locator("[data-kpi='delivered_today']")).to_have_text(
        str(delivered_before + 1), timeout=LIVE_TIMEOUT
    )
    expect(dispatcher.locator("[data-kpi='in_transit']")).to_have_text(str(moving_before))
    expect(tracking.locator("#tracking-status")).to_have_text("Delivered", timeout=LIVE_TIMEOUT)
    expect(tracking.get_by_label("Status history")).to_contain_text("Delivered")
    # Closed: the driver's position is no longer anyone's business on this page.
    expect(tracking.locator("#driver-position")).to_have_count(0)
    expect(card).to_contain_text("Delivered", timeout=LIVE_TIMEOUT)


def test_a_dashboard_that_reconnects_shows_the_current_truth(
    browser: Browser, app_url: str
) -> None:
    shipment = data.book_today(app_url, customer="customer@example.com")
    code, shipment_id = shipment["tracking_code"], shipment["id"]
    data.assign(app_url, shipment_id, DRIVER)
    dispatcher = signed_in(browser, app_url, "dispatcher@example.com", DESKTOP, "/dispatch")
    dispatcher.get_by_role("textbox", name="Search").fill(code)
    dispatcher.get_by_role("button", name="Search", exact=True).click()
    row = dispatcher.locator(f"tr[data-shipment-id='{shipment_id}']")
    expect(row).to_have_attribute("data-status", "assigned")

    # Reflex closes the socket on `pagehide` (as when the tab goes to the back-forward
    # cache) and does not reconnect by itself after a client-side close.
    dispatcher.evaluate("window.dispatchEvent(new PageTransitionEvent('pagehide'))")
    data.picked_up(app_url, code, DRIVER)
    dispatcher.wait_for_timeout(2_000)
    # Offline: nothing was pushed, the row still shows what the tab last knew.
    expect(row).to_have_attribute("data-status", "assigned")

    # Back to the tab: the socket reconnects, the page's load re-reads the database.
    dispatcher.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
    expect(row).to_have_attribute("data-status", "picked_up", timeout=LIVE_TIMEOUT)


def test_open_screens_catch_up_after_the_bus_lost_its_connection(
    browser: Browser, app_url: str, app_database_url: str, redis_url: str, redis_prefix: str
) -> None:
    """Redis pub/sub delivers at most once: a change published while the app's bus connection
    was down (a Redis restart, a Sentinel failover) is never announced. Once subscribed again,
    each open screen re-reads the database by itself, without a reload."""
    shipment = data.book_today(app_url, customer="customer@example.com")
    code, shipment_id = shipment["tracking_code"], shipment["id"]
    dispatcher = signed_in(browser, app_url, "dispatcher@example.com", DESKTOP, "/dispatch")
    dispatcher.get_by_role("textbox", name="Search").fill(code)
    dispatcher.get_by_role("button", name="Search", exact=True).click()
    row = dispatcher.locator(f"tr[data-shipment-id='{shipment_id}']")
    expect(row).to_have_attribute("data-status", "requested")
    tracking = dispatcher.context.new_page()
    tracking.goto(f"/track/{code}")
    expect(tracking.locator("#tracking-status")).to_have_text("Requested")

    # The change the bus never carried: written straight to the database.
    engine = create_engine(app_database_url)
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE shipments SET status = 'cancelled' WHERE id = :id"), {"id": shipment_id}
        )
    engine.dispose()
    dispatcher.wait_for_timeout(1_000)
    expect(row).to_have_attribute("data-status", "requested")  # nothing announced it

    assert services.kill_bus_subscriptions(redis_url, redis_prefix) > 0
    expect(row).to_have_attribute("data-status", "cancelled", timeout=LIVE_TIMEOUT)
    expect(tracking.locator("#tracking-status")).to_have_text("Cancelled", timeout=LIVE_TIMEOUT)
    # Still live afterwards: the next announced change arrives as usual.
    open_now = _kpi(dispatcher, "open")
    data.book_today(app_url, customer="customer@example.com")
    expect(dispatcher.locator("[data-kpi='open']")).to_have_text(
        str(open_now + 1), timeout=LIVE_TIMEOUT
    )


def test_a_new_booking_is_announced_on_the_board_and_shown_on_request(
    browser: Browser, app_url: str
) -> None:
    dispatcher = signed_in(browser, app_url, "dispatcher@example.com", DESKTOP, "/dispatch")
    expect(dispatcher.locator("#shipments-table tbody tr").first).to_be_visible()
    expect(dispatcher.locator("#unseen-shipments")).to_have_count(0)

    booked = data.book_today(app_url, customer="customer2@example.com")
    banner = dispatcher.locator("#unseen-shipments")
    expect(banner).to_contain_text("1 new shipment matches", timeout=LIVE_TIMEOUT)
    # Not spliced into the paged, filtered table by itself...
    row = dispatcher.locator(f"tr[data-shipment-id='{booked['id']}']")
    expect(row).to_have_count(0)
    # ...but shown when asked (newest first, so on the first page).
    banner.get_by_role("button", name="Show").click()
    expect(row).to_contain_text("Requested")
    expect(banner).to_have_count(0)

    # Tomorrow's booking is not on today's board: announcing a later one of today's says 1.
    tomorrow = (date.fromisoformat(booked["service_date"]) + timedelta(days=1)).isoformat()
    later = {
        f"{stop}_window_{end}": f"{tomorrow}T{hour}:00:00"
        for stop, end, hour in (
            ("pickup", "start", "11"),
            ("pickup", "end", "14"),
            ("dropoff", "start", "12"),
            ("dropoff", "end", "18"),
        )
    }
    assert data.book_today(app_url, "customer2@example.com", **later)["service_date"] == tomorrow
    data.book_today(app_url, customer="customer2@example.com")
    expect(banner).to_contain_text("1 new shipment matches", timeout=LIVE_TIMEOUT)
    # The tab's worker handles the bus in commit order; had tomorrow's counted, the banner
    # would go on to say 2 once today's arrived.
    dispatcher.wait_for_timeout(2_000)
    expect(banner).to_contain_text("1 new shipment matches")


def test_a_signed_out_dashboard_receives_no_more_positions(browser: Browser, app_url: str) -> None:
    """GPS fixes go to a tab on its registration alone (state/live.py), so signing out must
    end the registration: the control dashboard shows the fix, the signed-out tab gets
    nothing of it."""
    driver_id = data.driver_id(app_url, DRIVER)
    control = signed_in(browser, app_url, "dispatcher@example.com", DESKTOP, "/dispatch")
    leaver = signed_in(browser, app_url, "admin@example.com", DESKTOP, "/dispatch")
    for page in (control, leaver):
        expect(page.locator(f"[data-driver-id='{driver_id}']")).to_have_count(1)

    frames: list[str] = []
    leaver.on(
        "websocket", lambda ws: ws.on("framereceived", lambda payload: frames.append(str(payload)))
    )
    leaver.get_by_role("button", name="Log out").click()
    leaver.wait_for_url("**/login**")
    expect(leaver.get_by_role("button", name="Sign in")).to_be_visible()

    _send_position(app_url, 41.91234, -87.64321)
    shown = control.locator(f"[data-driver-id='{driver_id}']")
    expect(shown).to_have_attribute("data-lat", "41.91234", timeout=LIVE_TIMEOUT)
    leaver.wait_for_timeout(1_000)  # one push batch goes to every registered tab at once
    assert frames, "the signed-out tab's socket was not observed"
    assert not [frame for frame in frames if "41.91234" in frame]


# The fleet map's layer for a driver (found by its tooltip: "Name, status"), from the map the
# container holds (components/live_map.jsx), and what the dashboard shows of it.
_DOT_LAYER = """(name) => {
    const map = document.querySelector("#fleet-map .leaflet-container").leafletMap;
    let found = null;
    map.eachLayer((layer) => {
        const tip = layer.getTooltip && layer.getTooltip();
        if (tip && String(tip.getContent()).startsWith(name + ", ")) found = layer;
    });
    return found;
}"""
_DOT = f"""(name) => {{
    const layer = ({_DOT_LAYER})(name);
    if (!layer) return null;
    const at = layer.getLatLng();
    return {{
        at: `${{at.lat.toFixed(5)}},${{at.lng.toFixed(5)}}`,
        title: String(layer.getTooltip().getContent()),
        color: layer.options.fillColor,
        probe: layer.probe || null,
    }};
}}"""
