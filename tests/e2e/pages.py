"""Small page helpers shared by the browser tests."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Browser, Page, expect

DEMO_PASSWORD = "logistics-demo"


def signed_in(
    browser: Browser,
    base_url: str,
    email: str,
    viewport: dict[str, int],
    home: str,
    **context_options: Any,
) -> Page:
    """`context_options` go to the browser context (e.g. geolocation and its permission)."""
    page = browser.new_context(viewport=viewport, base_url=base_url, **context_options).new_page()
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"**{home}**", timeout=20_000)
    # The page's on-load event fills the name after the socket reconnects with the new cookie;
    # on a loaded machine that can take longer than Playwright's default 5 s.
    expect(page.locator("#signed-in-user")).to_be_visible(timeout=20_000)
    return page
