"""Auto-dispatch from the dashboard: progress while solving, a preview, apply on confirm."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.conftest import DESKTOP
from tests.e2e.pages import signed_in

pytestmark = pytest.mark.e2e


def test_auto_dispatch_previews_then_applies(
    browser: Browser, app_url: str, screenshot_dir: Path
) -> None:
    page = signed_in(browser, app_url, "dispatcher@example.com", DESKTOP, "/dispatch")
    page.get_by_label("Status").select_option("requested")
    expect(page.locator("#result-count")).to_contain_text("of")
    requested_before = int(re.search(r"of (\d+)", page.inner_text("#result-count")).group(1))
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
    page.get_by_label("Status").select_option("requested")
    remaining = page.inner_text("#result-count")
    left = 0 if "No shipments" in remaining else int(re.search(r"of (\d+)", remaining).group(1))
    assert left < requested_before
