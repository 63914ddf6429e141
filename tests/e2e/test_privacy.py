"""GDPR self-service in the browser (issue 10, item 5): a customer downloads their data and
erases their account; an admin checks the audit trail's tamper evidence (item 6)."""

from __future__ import annotations

import json
import secrets

import httpx
import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.conftest import DESKTOP, MOBILE
from tests.e2e.pages import signed_in
from tests.support.mailbox import Mailbox, link_path

pytestmark = pytest.mark.e2e
PASSWORD = "harbour-lantern-violet-7"


def _new_customer(app_url: str, mailbox: Mailbox) -> str:
    email = f"gdpr-{secrets.token_hex(3)}@shop.example.com"
    registered = httpx.post(
        f"{app_url}/api/v1/auth/register",
        json={"email": email, "full_name": "Gita Privacy", "password": PASSWORD},
    )
    assert registered.status_code == 202, registered.text
    token = link_path(mailbox.wait_for(email)[0], "/confirm")
    assert httpx.post(f"{app_url}/api/v1/auth/confirm", json={"token": token}).status_code == 200
    return email


def test_customer_downloads_then_erases_their_data(
    browser: Browser, app_url: str, mailbox: Mailbox
) -> None:
    email = _new_customer(app_url, mailbox)
    page = browser.new_context(viewport=MOBILE, base_url=app_url).new_page()
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/customer**", timeout=20_000)

    page.get_by_role("link", name="My data").click()
    page.wait_for_url("**/account/privacy**", timeout=20_000)
    expect(page.get_by_role("button", name="Erase my account")).to_be_visible(timeout=20_000)
    with page.expect_download(timeout=20_000) as download:
        page.get_by_role("button", name="Download my data").click()
    data = json.loads(open(download.value.path()).read())  # noqa: SIM115
    assert data["format"] == "logistics-ai/export/v1"
    assert data["account"]["email"] == email and data["account"]["full_name"] == "Gita Privacy"

    page.get_by_label("Password").fill("not my password")
    page.get_by_label("Type ERASE to confirm").fill("ERASE")
    page.get_by_role("button", name="Erase my account").click()
    expect(page.get_by_role("alert")).to_contain_text("incorrect")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Type ERASE to confirm").fill("ERASE")
    page.get_by_role("button", name="Erase my account").click()
    page.wait_for_url("**/privacy?erased=1**", timeout=20_000)
    expect(page.locator("#erased-notice")).to_be_visible()
    again = httpx.post(f"{app_url}/api/v1/auth/token", json={"email": email, "password": PASSWORD})
    assert again.status_code == 401
    page.goto("/account/privacy")
    page.wait_for_url("**/login**", timeout=15_000)  # the browser session went with it


def test_admin_sees_the_audit_trail_verified(browser: Browser, app_url: str) -> None:
    admin = signed_in(browser, app_url, "admin@example.com", DESKTOP, "/dispatch")
    admin.goto("/admin")
    admin.get_by_role("tab", name="Audit log").click()
    admin.get_by_role("button", name="Verify the audit trail's hash chains").click()
    expect(admin.locator("#audit-integrity")).to_contain_text("audit trail intact", timeout=30_000)
