"""AI in the browser, offline path (no GROQ_API_KEY): a customer books by typing a sentence
on a phone; a dispatcher asks which deliveries are late and why, and confirms a proposed
reassignment, which then shows on the board."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.conftest import DESKTOP, MOBILE, app_today
from tests.e2e.pages import DEMO_PASSWORD, signed_in

pytestmark = pytest.mark.e2e


def test_customer_books_by_typing_a_sentence(
    browser: Browser, app_url: str, screenshot_dir: Path
) -> None:
    page = signed_in(browser, app_url, "customer@example.com", MOBILE, "/customer")
    page.get_by_label("Describe the delivery").fill(
        "2 boxes, 12 kg, 0.1 m3, pick up tomorrow 9-11am at 1200 N Clark St, deliver to "
        "5300 S Lake Park Ave tomorrow 2-4pm, fragile, call Ana 312-555-0100"
    )
    page.get_by_role("button", name="Fill the form").click()
    expect(page.locator("#ai-source")).to_contain_text("offline reader")
    expect(page.locator("#pickup_address")).to_have_value("1200 N Clark St, Chicago, IL")
    expect(page.locator("#dropoff_address")).to_have_value("5300 S Lake Park Ave, Chicago, IL")
    expect(page.locator("#pickup_place")).to_have_text("Found on the map")
    expect(page.locator("#pickup_from")).to_have_value("09:00")
    expect(page.locator("#dropoff_to")).to_have_value("16:00")
    expect(page.locator("#recipient_name")).to_have_value("Ana")
    expect(page.locator("#recipient_phone")).to_have_value("312-555-0100")
    expect(page.locator("#weight_kg")).to_have_value("12.0")
    expect(page.locator("#skill_fragile")).to_be_checked()
    assert page.evaluate("document.documentElement.scrollWidth") <= MOBILE["width"]
    page.screenshot(path=screenshot_dir / "customer-ai-booking.png", full_page=True)
    # The customer checks the form and books it: the usual booking path.
    page.get_by_role("button", name="Book delivery").click()
    expect(page.locator("#booked-code")).to_be_visible(timeout=20_000)
    code = page.inner_text("#booked-code")
    expect(page.get_by_label("My shipments")).to_contain_text(code)


def _token(app_url: str, email: str) -> str:
    answer = httpx.post(
        f"{app_url}/api/v1/auth/token", json={"email": email, "password": DEMO_PASSWORD}
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["access_token"]


def test_dispatcher_confirms_a_reassignment_from_the_copilot(
    browser: Browser, app_url: str, screenshot_dir: Path
) -> None:
    maria = {"Authorization": f"Bearer {_token(app_url, 'maria.lopez@drivers.example.com')}"}
    here = httpx.post(
        f"{app_url}/api/v1/drivers/me/location",
        headers=maria,
        json={"pings": [{"lat": 41.8868, "lon": -87.6527}]},
    )
    assert here.status_code == 200, here.text
    customer = {"Authorization": f"Bearer {_token(app_url, 'customer2@example.com')}"}
    booked = httpx.post(
        f"{app_url}/api/v1/shipments",
        headers=customer,
        json={
            "pickup_address": "1200 W Lake St, West Loop, Chicago, IL",
            "pickup_lat": 41.8857,
            "pickup_lon": -87.6580,
            "pickup_window_start": f"{app_today()}T11:00:00",
            "pickup_window_end": f"{app_today()}T20:00:00",
            "dropoff_address": "1600 W Chicago Ave, Ukrainian Village, Chicago",
            "dropoff_lat": 41.8960,
            "dropoff_lon": -87.6660,
            "dropoff_window_start": f"{app_today()}T12:00:00",
            "dropoff_window_end": f"{app_today()}T20:30:00",
            "recipient_name": "Lina Late",
            "weight_kg": 3,
            "volume_m3": 0.02,
        },
    )
    assert booked.status_code == 201, booked.text
    staff = {"Authorization": f"Bearer {_token(app_url, 'dispatcher@example.com')}"}
    assigned = httpx.post(
        f"{app_url}/api/v1/shipments/{booked.json()['id']}/assign",
        headers=staff,
        json={"driver_id": here.json()["driver_id"]},
    )
    assert assigned.status_code == 200, assigned.text
    far = httpx.post(
        f"{app_url}/api/v1/drivers/me/location",
        headers=maria,
        json={"pings": [{"lat": 44.0, "lon": -91.0}]},  # about 350 km away: late for everything
    )
    assert far.status_code == 200, far.text

    page = signed_in(browser, app_url, "dispatcher@example.com", DESKTOP, "/dispatch")
    page.get_by_label("Question for the copilot").fill("Which deliveries are late and why?")
    page.get_by_role("button", name="Ask the copilot").click()
    chat = page.locator("#copilot-chat")
    expect(chat).to_contain_text("at risk of being late", timeout=60_000)
    expect(chat).to_contain_text("cause:")
    expect(page.locator("#copilot-source")).to_contain_text("offline")
    card = page.locator("[data-kind='reassign']").first
    expect(card).to_be_visible(timeout=60_000)
    title = card.get_by_test_id("card-title").inner_text()
    match = re.match(r"Reassign (\w+) to (.+)$", title)
    assert match, title
    code, driver = match.group(1), match.group(2)
    page.screenshot(path=screenshot_dir / "copilot.png")
    # Nothing changed before the click.
    before = httpx.get(f"{app_url}/api/v1/shipments", headers=staff, params={"search": code})
    assert before.json()["items"][0]["driver_id"] != 0
    driver_before = before.json()["items"][0]["driver_id"]

    card.get_by_role("button", name=f"Confirm: {title}").click()
    expect(page.get_by_text(f"{code} is now with {driver}").first).to_be_visible(timeout=30_000)
    after = httpx.get(f"{app_url}/api/v1/shipments", headers=staff, params={"search": code})
    assert after.json()["items"][0]["driver_id"] != driver_before
    page.get_by_role("textbox", name="Search").fill(code)
    page.get_by_role("button", name="Search", exact=True).click()
    select = page.get_by_label(f"Driver for {code}")
    expect(select).to_have_value(str(after.json()["items"][0]["driver_id"]))
    expect(select.locator("option:checked")).to_have_text(re.compile(re.escape(driver)))


def test_dispatcher_confirms_a_stop_swap_from_the_copilot(browser: Browser, app_url: str) -> None:
    """Luis gets a delivery with all-day windows, then one whose pickup closes at noon, which
    goes after it on his route; far from town, the noon pickup runs late. Moving it ahead of
    an earlier stop whose window ends later is the swap the copilot proposes."""
    luis = {"Authorization": f"Bearer {_token(app_url, 'luis.garcia@drivers.example.com')}"}
    here = httpx.post(
        f"{app_url}/api/v1/drivers/me/location",
        headers=luis,
        json={"pings": [{"lat": 41.8868, "lon": -87.6527}]},
    )
    assert here.status_code == 200, here.text
    customer = {"Authorization": f"Bearer {_token(app_url, 'customer2@example.com')}"}
    staff = {"Authorization": f"Bearer {_token(app_url, 'dispatcher@example.com')}"}
    day = app_today()

    def book_and_assign(pickup_end: str, dropoff_end: str, name: str) -> str:
        booked = httpx.post(
            f"{app_url}/api/v1/shipments",
            headers=customer,
            json={
                "pickup_address": "1200 W Lake St, West Loop, Chicago, IL",
                "pickup_lat": 41.8857,
                "pickup_lon": -87.6580,
                "pickup_window_start": f"{day}T11:00:00",
                "pickup_window_end": f"{day}T{pickup_end}:00",
                "dropoff_address": "1600 W Chicago Ave, Ukrainian Village, Chicago",
                "dropoff_lat": 41.8960,
                "dropoff_lon": -87.6660,
                "dropoff_window_start": f"{day}T11:30:00",
                "dropoff_window_end": f"{day}T{dropoff_end}:00",
                "recipient_name": name,
                "weight_kg": 2,
                "volume_m3": 0.01,
            },
        )
        assert booked.status_code == 201, booked.text
        assigned = httpx.post(
            f"{app_url}/api/v1/shipments/{booked.json()['id']}/assign",
            headers=staff,
            json={"driver_id": here.json()["driver_id"]},
        )
        assert assigned.status_code == 200, assigned.text
        return str(booked.json()["tracking_code"])

    relaxed = book_and_assign("20:00", "21:00", "Rita Relaxed")
    urgent = book_and_assign("12:00", "13:00", "Uma Urgent")
    far = httpx.post(
        f"{app_url}/api/v1/drivers/me/location",
        headers=luis,
        json={"pings": [{"lat": 44.0, "lon": -91.0}]},  # about 350 km away
    )
    assert far.status_code == 200, far.text

    def position(code: str, kind: str) -> int:
        route = httpx.get(f"{app_url}/api/v1/drivers/me/route", headers=luis).json()["stops"]
        codes = [(s["tracking_code"], s["kind"]) for s in route]
        return codes.index((code, kind))

    assert position(urgent, "pickup") > position(relaxed, "pickup")

    page = signed_in(browser, app_url, "dispatcher@example.com", DESKTOP, "/dispatch")
    page.get_by_label("Question for the copilot").fill(f"Swap stops for {urgent}")
    page.get_by_role("button", name="Ask the copilot").click()
    card = page.locator("[data-kind='swap']").first
    expect(card).to_be_visible(timeout=60_000)
    expect(card).to_contain_text("Swap stops")  # the badge
    expect(card).to_contain_text(f"{urgent} pickup: move it ahead of stop")
    expect(card.get_by_test_id("card-detail")).to_contain_text("min after its 11:00-12:00 window")
    assert position(urgent, "pickup") > position(relaxed, "pickup")  # nothing moved yet

    card.get_by_role("button", name=re.compile(r"^Confirm: Swap stops")).click()
    expect(
        page.get_by_text(re.compile(rf"{urgent}'s stop moved from position")).first
    ).to_be_visible(timeout=30_000)
    assert position(urgent, "pickup") < position(relaxed, "pickup")
