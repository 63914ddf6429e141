"""Regenerate the README's screenshots from a running, seeded app.

    make run PORT=3011 &            # the demo city (seeded), in another terminal
    .venv/bin/python -m tests.support.screenshots --url http://127.0.0.1:3011

Writes docs/screenshots/dispatch.png (1366x768, the live map), driver.png (360x740),
tracking.png (360x740) and customer.png (360x740), using Debian's Chromium in headless mode.
The map draws without tiles (MAP_TILE_URL empty), so the pictures need no network.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from playwright.sync_api import Browser, Page, expect, sync_playwright

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
DESKTOP = {"width": 1366, "height": 768}
MOBILE = {"width": 360, "height": 740}
PASSWORD = os.environ.get("DEMO_PASSWORD", "logistics-demo")


def _sign_in(browser: Browser, url: str, email: str, viewport: dict[str, int], home: str) -> Page:
    page = browser.new_context(viewport=viewport, base_url=url).new_page()
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"**{home}**", timeout=30_000)
    expect(page.locator("#signed-in-user")).to_be_visible(timeout=30_000)
    return page


def capture(url: str, out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        dispatch = _sign_in(browser, url, "dispatcher@example.com", DESKTOP, "/dispatch")
        expect(dispatch.locator("#fleet-map .leaflet-marker-icon").first).to_be_visible(
            timeout=30_000
        )
        dispatch.wait_for_timeout(800)  # let fitBounds settle
        written.append(out / "dispatch.png")
        dispatch.screenshot(path=written[-1])

        driver = _sign_in(browser, url, "driver@example.com", MOBILE, "/driver")
        expect(driver.locator("#driver-map .lai-stops canvas")).to_be_visible(timeout=30_000)
        driver.wait_for_timeout(800)
        written.append(out / "driver.png")
        driver.screenshot(path=written[-1])
        # The tracking page of the driver's next drop-off: the one that shows the driver.
        code = driver.locator("li[data-kind='dropoff'] code").first.inner_text()

        public = browser.new_context(viewport=MOBILE, base_url=url).new_page()
        public.goto(f"/track/{code}")
        expect(public.locator("#tracking-map .leaflet-marker-icon").first).to_be_visible(
            timeout=30_000
        )
        public.wait_for_timeout(800)
        written.append(out / "tracking.png")
        public.screenshot(path=written[-1], full_page=True)

        customer = _sign_in(browser, url, "customer@example.com", MOBILE, "/customer")
        # The booking form with an address picked from the suggestions and shown on the map.
        customer.locator("#pickup_address").fill("1200 N Clark St")
        customer.get_by_role("button", name="1200 N Clark St, Chicago, IL").click()
        customer.locator("#dropoff_address").fill("5300 S Lake Park Ave, Hyde")
        customer.get_by_role("button", name="5300 S Lake Park Ave, Hyde Park, Chicago, IL").click()
        expect(customer.locator("#booking-map .leaflet-marker-icon")).to_have_count(2)
        customer.evaluate(
            "document.querySelector('#pickup_place').scrollIntoView({block: 'start'});"
            "window.scrollBy(0, -90)"
        )
        customer.wait_for_timeout(800)
        written.append(out / "customer.png")
        customer.screenshot(path=written[-1])
        browser.close()
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--url", default="http://127.0.0.1:3000")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args()
    for path in capture(args.url, args.out):
        print(path)


if __name__ == "__main__":
    main()
