"""The core journey across all three interfaces, and the bad-input cases, in Chromium."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e import data
from tests.e2e.conftest import DESKTOP, MOBILE
from tests.e2e.pages import signed_in

pytestmark = pytest.mark.e2e


def _fill_booking(
    page: Page,
    *,
    pickup_address: str = "1200 N Clark St, Lincoln Park, Chicago, IL",
    weight: str = "12",
    pickup: tuple[str, str] = ("11:00", "13:00"),
) -> None:
    # Address only: the form has no coordinate inputs, the server geocodes the booking.
    expect(page.locator("#pickup_lat")).to_have_count(0)
    page.get_by_label("Address").first.fill(pickup_address)
    page.locator("#pickup_from").fill(pickup[0])
    page.locator("#pickup_to").fill(pickup[1])
    page.locator("#dropoff_address").fill("5300 S Lake Park Ave, Hyde Park, Chicago, IL")
    page.get_by_role("button", name="Check the delivery address").click()
    expect(page.locator("#dropoff_place")).to_contain_text("Found: ")
    page.locator("#dropoff_from").fill("13:00")
    page.locator("#dropoff_to").fill("16:00")
    page.get_by_label("Recipient name").fill("Jordan Lee")
    page.get_by_label("Weight (kg)").fill(weight)


def test_book_assign_pick_up_deliver_track(
    browser: Browser, app_url: str, screenshot_dir: Path
) -> None:
    customer = signed_in(browser, app_url, "customer@example.com", MOBILE, "/customer")
    expect(customer.locator("li[data-code]").first).to_be_visible()
    customer.screenshot(path=screenshot_dir / "customer.png")
    _fill_booking(customer)
    customer.get_by_role("button", name="Book delivery").click()
    booked = customer.locator("#booked-code")
    expect(booked).to_be_visible(timeout=15_000)
    code = booked.inner_text().strip()
    expect(customer.locator(f"li[data-code='{code}']")).to_contain_text("Requested")

    dispatcher = signed_in(browser, app_url, "dispatcher@example.com", DESKTOP, "/dispatch")
    expect(dispatcher.locator("#shipments-table tbody tr").first).to_be_visible()
    expect(dispatcher.get_by_label("Drivers", exact=True)).to_contain_text("Dmitri Driver")
    dispatcher.screenshot(path=screenshot_dir / "dispatch.png")
    dispatcher.get_by_role("textbox", name="Search").fill(code)
    dispatcher.get_by_role("button", name="Search", exact=True).click()
    row = dispatcher.locator(f"tr[data-code='{code}']")
    expect(row).to_contain_text("Requested")
    dispatcher.get_by_label(f"Driver for {code}").select_option(label="Dmitri Driver")
    expect(row).to_contain_text("Driver assigned")

    driver = signed_in(browser, app_url, "driver@example.com", MOBILE, "/driver")
    driver.get_by_role("button", name=f"Mark {code} picked up").click()
    expect(driver.locator(f"li[data-code='{code}'][data-kind='pickup']")).to_contain_text("Done")
    driver.get_by_role("button", name=f"Mark {code} delivered").click()
    expect(driver.locator(f"li[data-code='{code}'][data-kind='dropoff']")).to_contain_text("Done")
    driver.locator(f"li[data-code='{code}'][data-kind='dropoff']").scroll_into_view_if_needed()
    driver.screenshot(path=screenshot_dir / "driver.png")

    public = browser.new_context(viewport=MOBILE, base_url=app_url).new_page()
    public.goto(f"/track/{code}")
    expect(public.locator("#tracking-status")).to_have_text("Delivered")
    expect(public.get_by_label("Status history")).to_contain_text("Picked up")
    expect(public.locator("body")).not_to_contain_text("Lee")  # first name only
    public.screenshot(path=screenshot_dir / "tracking.png")


def test_booking_form_explains_bad_input(browser: Browser, app_url: str) -> None:
    page = signed_in(browser, app_url, "customer2@example.com", MOBILE, "/customer")
    _fill_booking(page, pickup_address="1 Nowhere Lane, Atlantis", weight="-5")
    page.get_by_role("button", name="Book delivery").click()
    expect(page.locator("#weight_kg-error")).to_contain_text("greater than 0")
    expect(page.get_by_role("alert").filter(has_text="correct the highlighted")).to_be_visible()
    page.get_by_label("Weight (kg)").fill("5")
    page.get_by_role("button", name="Book delivery").click()
    expect(page.locator("#pickup_address-error")).to_contain_text("Could not place this address")
    expect(page.locator("#booked-code")).to_have_count(0)

    page.get_by_label("Address").first.fill("1200 N Clark St, Lincoln Park, Chicago, IL")
    page.get_by_label("Weight (kg)").fill("5")
    page.locator("#pickup_from").fill("12:00")
    page.locator("#pickup_to").fill("11:00")
    page.get_by_role("button", name="Book delivery").click()
    expect(page.locator("#pickup_to-error")).to_contain_text("must be after")
    expect(page.locator("#booked-code")).to_have_count(0)


def test_unknown_tracking_code_shows_not_found(
    browser: Browser, app_url: str, screenshot_dir: Path
) -> None:
    page = browser.new_context(viewport=MOBILE, base_url=app_url).new_page()
    page.goto("/track/LA0000NOTREAL")
    expect(page.locator("#tracking-not-found")).to_have_text("Tracking code not found")
    expect(page.locator("body")).to_contain_text("404")


def test_stale_screen_cannot_make_an_illegal_transition(browser: Browser, app_url: str) -> None:
    # Its own shipment, on board driver2's van: no other test's data is needed.
    shipment = data.book_today(app_url)
    code = shipment["tracking_code"]
    data.assign(app_url, shipment["id"], "driver2@example.com")
    data.picked_up(app_url, code, "driver2@example.com")
    first = signed_in(browser, app_url, "driver2@example.com", MOBILE, "/driver")
    stale = signed_in(browser, app_url, "driver2@example.com", MOBILE, "/driver")
    # Live updates would refresh the second screen at once; without signal it stays stale and
    # its tap waits in the phone's outbox until the connection returns.
    expect(stale.get_by_role("button", name=f"Mark {code} delivered")).to_be_visible()
    stale.context.set_offline(True)
    first.get_by_role("button", name=f"Mark {code} Drop-off failed").click()
    first.get_by_label("Reason").fill("Recipient not home")
    first.get_by_role("button", name="Confirm failure").click()
    expect(first.locator(f"li[data-code='{code}'][data-kind='dropoff']")).to_contain_text(
        "Recipient not home"
    )

    stale.get_by_role("button", name=f"Mark {code} delivered").click()
    expect(stale.locator("#outbox-pending")).to_have_text("1 change waiting for signal")
    stale.context.set_offline(False)
    expect(stale.get_by_text("This stop is already failed")).to_be_visible(timeout=20_000)
    expect(stale.locator("#outbox-pending")).to_have_text("")
    expect(stale.locator(f"li[data-code='{code}'][data-kind='dropoff']")).to_contain_text("Failed")


def test_wrong_password_and_role_guard(
    browser: Browser, app_url: str, screenshot_dir: Path
) -> None:
    page = browser.new_context(viewport=MOBILE, base_url=app_url).new_page()
    page.goto("/login")
    page.get_by_label("Email").fill("customer@example.com")
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("Email or password is incorrect")
    page.screenshot(path=screenshot_dir / "login.png")

    customer = signed_in(browser, app_url, "customer@example.com", MOBILE, "/customer")
    customer.goto("/dispatch")
    customer.wait_for_url("**/customer**", timeout=15_000)
    expect(customer.get_by_role("heading", name="Book a delivery")).to_be_visible()
    anonymous = browser.new_context(viewport=MOBILE, base_url=app_url).new_page()
    anonymous.goto("/driver")
    anonymous.wait_for_url("**/login**", timeout=15_000)
