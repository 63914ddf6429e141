"""A customer cancels a booking from their phone: confirm, reason kept, refused once picked up."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import Browser, expect

from tests.e2e import data
from tests.e2e.conftest import MOBILE
from tests.e2e.pages import signed_in

pytestmark = pytest.mark.e2e

CUSTOMER = "customer2@example.com"
REASON = "Recipient is away this week"


def test_customer_cancels_a_booking_with_a_reason(browser: Browser, app_url: str) -> None:
    shipment = data.book_today(app_url, CUSTOMER)
    code = shipment["tracking_code"]
    page = signed_in(browser, app_url, CUSTOMER, MOBILE, "/customer")
    card = page.locator(f"li[data-code='{code}']")
    expect(card).to_contain_text("Requested")

    # "Keep it" closes the dialog and changes nothing.
    card.get_by_role("button", name=f"Cancel delivery {code}").click()
    dialog = page.get_by_role("alertdialog")
    expect(dialog).to_contain_text(code)
    dialog.get_by_role("button", name="Keep it").click()
    expect(dialog).to_have_count(0)
    expect(card).to_contain_text("Requested")

    card.get_by_role("button", name=f"Cancel delivery {code}").click()
    dialog.get_by_label("Reason (optional)").fill(REASON)
    dialog.get_by_role("button", name="Cancel delivery").click()
    expect(card).to_contain_text("Cancelled", timeout=15_000)
    expect(card.get_by_role("button", name=f"Cancel delivery {code}")).to_have_count(0)

    body = httpx.get(
        f"{app_url}/api/v1/shipments/{shipment['id']}", headers=data.headers(app_url, CUSTOMER)
    ).json()
    assert body["status"] == "cancelled"


def test_cancel_refused_after_pickup_says_why(browser: Browser, app_url: str) -> None:
    shipment = data.book_today(app_url, CUSTOMER)
    code = shipment["tracking_code"]
    data.assign(app_url, shipment["id"], "driver@example.com")
    page = signed_in(browser, app_url, CUSTOMER, MOBILE, "/customer")
    card = page.locator(f"li[data-code='{code}']")
    expect(card).to_contain_text("Driver assigned")
    card.get_by_role("button", name=f"Cancel delivery {code}").click()
    # Meanwhile the driver collects the parcel: the confirmation must be refused, clearly.
    data.picked_up(app_url, code, "driver@example.com")
    dialog = page.get_by_role("alertdialog")
    dialog.get_by_role("button", name="Cancel delivery").click()
    expect(dialog.get_by_role("alert")).to_contain_text("cannot become cancelled")
    dialog.get_by_role("button", name="Keep it").click()
    body = httpx.get(
        f"{app_url}/api/v1/shipments/{shipment['id']}", headers=data.headers(app_url, CUSTOMER)
    ).json()
    assert body["status"] == "picked_up"
