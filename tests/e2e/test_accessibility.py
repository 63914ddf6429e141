"""axe-core on the four screens people use: no serious or critical violation.

axe-core is the npm package, pinned in the Makefile (AXE_VERSION) and unpacked by
`make install` into .tools/axe/axe.min.js; the test injects it into each page after the page's
live content (the map's markers included) has rendered, and runs every rule axe enables by
default (WCAG 2.x A/AA and best practices).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e import data
from tests.e2e.conftest import DESKTOP, MOBILE, ROOT
from tests.e2e.pages import signed_in

pytestmark = pytest.mark.e2e

AXE = ROOT / ".tools" / "axe" / "axe.min.js"
BLOCKING = ("serious", "critical")


def _axe_file() -> Path:
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: `make install` fetches axe-core (Makefile AXE_VERSION)")
    return AXE


def violations(page: Page) -> list[dict[str, Any]]:
    """axe's serious and critical violations on the page as it is now, with their nodes."""
    page.add_script_tag(path=str(_axe_file()))
    found = page.evaluate(
        """async () => {
            const result = await axe.run(document, { resultTypes: ["violations"] });
            return result.violations.map((v) => ({
                id: v.id,
                impact: v.impact,
                help: v.help,
                nodes: v.nodes.slice(0, 5)
                    .map((n) => n.target.join(" ") + " :: " + n.failureSummary),
            }));
        }"""
    )
    return [v for v in found if v["impact"] in BLOCKING]


def _report(found: list[dict[str, Any]]) -> str:
    return "\n".join(
        f"{v['impact']} {v['id']}: {v['help']}\n  " + "\n  ".join(v["nodes"]) for v in found
    )


def test_dispatch_dashboard_has_no_serious_violations(browser: Browser, app_url: str) -> None:
    page = signed_in(browser, app_url, "dispatcher@example.com", DESKTOP, "/dispatch")
    # The fleet's dots are drawn (their canvas) and named in the list beside the map.
    expect(page.locator("#fleet-map .lai-fleet canvas")).to_be_visible(timeout=20_000)
    expect(page.locator("#fleet-map li.lai-driver").first).to_be_attached(timeout=20_000)
    expect(page.locator("#shipments-table tbody tr").first).to_be_visible()
    found = violations(page)
    assert not found, _report(found)


def test_driver_app_has_no_serious_violations(browser: Browser, app_url: str) -> None:
    page = signed_in(browser, app_url, "driver@example.com", MOBILE, "/driver")
    # Her stops are drawn on a canvas and named in a list beside the map (live_map.jsx).
    expect(page.locator("#driver-map .lai-stops canvas")).to_be_visible(timeout=20_000)
    found = violations(page)
    assert not found, _report(found)


def test_customer_app_has_no_serious_violations(browser: Browser, app_url: str) -> None:
    page = signed_in(browser, app_url, "customer@example.com", MOBILE, "/customer")
    expect(page.locator("li[data-code]").first).to_be_visible()
    # With the booking form's live parts showing: suggestions and the chosen point's map.
    page.locator("#pickup_address").fill("1200 N Clark St")
    page.get_by_role("button", name="1200 N Clark St, Chicago, IL").click()
    page.locator("#dropoff_address").fill("Hyde")
    expect(page.locator("#dropoff-suggestions")).to_be_visible()
    expect(page.locator("#booking-map .leaflet-marker-icon")).to_have_count(1)
    found = violations(page)
    assert not found, _report(found)


def test_tracking_page_has_no_serious_violations(browser: Browser, app_url: str) -> None:
    code = data.book_today(app_url)["tracking_code"]
    page = browser.new_context(viewport=MOBILE, base_url=app_url).new_page()
    page.goto(f"/track/{code}")
    expect(page.locator("#tracking-map .leaflet-marker-icon").first).to_be_visible(timeout=20_000)
    found = violations(page)
    assert not found, _report(found)
