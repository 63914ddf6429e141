"""Auto-dispatch from the dashboard: progress while solving, a preview, apply on confirm."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tests.e2e import data
from tests.e2e.conftest import DESKTOP
from tests.e2e.pages import signed_in

pytestmark = pytest.mark.e2e


def _count(result_label: str) -> int:
    match = re.search(r"of (\d+)", result_label)
    return int(match.group(1)) if match else 0


def test_auto_dispatch_previews_then_applies(
    browser: Browser, app_url: str, screenshot_dir: Path
) -> None:
    for _ in range(3):  # open work of its own, whatever other tests did to the board
        data.book_today(app_url)
    page = signed_in(browser, app_url, "dispatcher@example.com", DESKTOP, "/dispatch")
    page.get_by_label("Status").select_option("requested")
    rows = page.locator("#shipments-table tbody tr")
    expect(rows.first).to_be_visible()
    expect(rows.filter(has_not_text="Requested")).to_have_count(0)
    before_text = page.inner_text("#result-count")
    requested_before = _count(before_text)
    assert requested_before > 0

    page.get_by_role("button", name="Auto-dispatch: optimise routes for the selected day").click()
    expect(page.get_by_role("status")).to_contain_text("Optimising routes")
    summary = page.locator("#plan-summary")
    expect(summary).to_contain_text("newly assigned", timeout=60_000)
    assert page.locator("#plan-routes tbody tr").count() >= 5
    page.screenshot(path=screenshot_dir / "auto-dispatch.png")
    # Nothing is written until the dispatcher confirms.
    expect(page.locator("#result-count")).to_contain_text(f"of {requested_before}")

    page.get_by_role("button", name="Apply plan").click()
    expect(page.get_by_text("Plan applied")).to_be_visible(timeout=20_000)
    expect(summary).to_have_count(0)
    # The board reloads with the same filter: fewer shipments are still waiting.
    expect(page.locator("#result-count")).not_to_have_text(before_text)
    left = _count(page.inner_text("#result-count"))
    assert left < requested_before


def test_driver_far_away_raises_a_late_risk_alert(browser: Browser, app_url: str) -> None:
    import httpx

    # A stop of its own on driver2's route, due by 14:00 today.
    shipment = data.book_today(app_url)
    data.assign(app_url, shipment["id"], "driver2@example.com")
    sent = httpx.post(
        f"{app_url}/api/v1/drivers/me/location",
        headers=data.headers(app_url, "driver2@example.com"),
        json={"pings": [{"lat": 42.6, "lon": -88.9}]},
    )  # ~120 km away
    assert sent.status_code == 200, sent.text
    page = signed_in(browser, app_url, "dispatcher@example.com", DESKTOP, "/dispatch")
    expect(page.get_by_label("Late-risk alerts")).to_contain_text("Dora Driver")


def test_auto_assign_one_shipment(browser: Browser, app_url: str) -> None:

    code = data.book_today(app_url, recipient_name="Ari Auto")["tracking_code"]

    page = signed_in(browser, app_url, "dispatcher@example.com", DESKTOP, "/dispatch")
    page.get_by_role("textbox", name="Search").fill(code)
    page.get_by_role("button", name="Search", exact=True).click()
    row = page.locator(f"tr[data-code='{code}']")
    expect(row).to_contain_text("Requested")
    page.get_by_role("button", name=f"Auto-assign {code} to the best route").click()
    expect(page.get_by_text(f"{code} inserted into a route")).to_be_visible(timeout=20_000)
    expect(row).to_contain_text("Driver assigned")
