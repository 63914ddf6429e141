"""Sign-in and sign-out for every role, sign-up, invitations, API keys and the audit log."""

from __future__ import annotations

import re
import secrets
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.conftest import DESKTOP, MOBILE
from tests.e2e.pages import signed_in
from tests.support.mailbox import Mailbox, link_path

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize(
    ("email", "home", "viewport"),
    [
        ("admin@example.com", "/dispatch", DESKTOP),
        ("dispatcher@example.com", "/dispatch", DESKTOP),
        ("driver@example.com", "/driver", MOBILE),
        ("customer@example.com", "/customer", MOBILE),
    ],
)
def test_each_role_signs_in_and_out(
    browser: Browser, app_url: str, email: str, home: str, viewport: dict[str, int]
) -> None:
    page = signed_in(browser, app_url, email, viewport, home)
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**/login**")
    page.goto(home)
    page.wait_for_url("**/login**", timeout=15_000)  # the session is gone, not just hidden


def test_customer_signs_up(browser: Browser, app_url: str, mailbox: Mailbox) -> None:
    email = f"new-{secrets.token_hex(3)}@shop.example.com"
    page = browser.new_context(viewport=MOBILE, base_url=app_url).new_page()
    page.goto("/signup")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Full name").fill("Nova Shopper")
    page.get_by_label("Password (10+ characters)").fill("short")
    page.get_by_role("button", name="Create account").click()
    expect(page.locator("#password-error")).to_contain_text("at least 10")
    page.get_by_label("Password (10+ characters)").fill("a-proper-long-password")
    page.get_by_role("button", name="Create account").click()
    expect(page.locator("#signup-done")).to_contain_text("Check your inbox")
    token = link_path(mailbox.wait_for(email)[0], "/confirm")
    page.goto(f"/confirm/{token}")
    expect(page.locator("#account-notice")).to_contain_text("confirmed", timeout=20_000)
    page.locator("#signin-link").click()
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("a-proper-long-password")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/customer**", timeout=20_000)


def test_admin_invites_a_driver(browser: Browser, app_url: str, screenshot_dir: Path) -> None:
    email = f"driver-{secrets.token_hex(3)}@fleet.example.com"
    admin = signed_in(browser, app_url, "admin@example.com", DESKTOP, "/dispatch")
    admin.get_by_role("link", name="Admin", exact=True).click()
    admin.wait_for_url("**/admin**")
    admin.get_by_label("Email", exact=True).fill(email)
    admin.get_by_label("Full name").fill("Ines Invited")
    admin.get_by_label("Role", exact=True).select_option("driver")
    admin.get_by_role("button", name="Create invitation").click()
    link = admin.locator("#invite-link")
    expect(link).to_be_visible()
    expect(link).to_have_value(re.compile(r"^/invite/"))
    admin.screenshot(path=screenshot_dir / "admin.png")
    invite_path = link.input_value().strip()

    invitee = browser.new_context(viewport=MOBILE, base_url=app_url).new_page()
    invitee.goto(invite_path)
    invitee.get_by_label("New password (10+ characters)").fill("road-warrior-2026")
    invitee.get_by_label("Repeat the password").fill("road-warrior-2026")
    invitee.get_by_role("button", name="Activate my account").click()
    invitee.locator("#signin-link").click()
    invitee.get_by_label("Email").fill(email)
    invitee.get_by_label("Password").fill("road-warrior-2026")
    invitee.get_by_role("button", name="Sign in").click()
    invitee.wait_for_url("**/driver**", timeout=20_000)


def test_admin_issues_and_revokes_an_api_key(browser: Browser, app_url: str) -> None:
    admin = signed_in(browser, app_url, "admin@example.com", DESKTOP, "/dispatch")
    admin.goto("/admin")
    admin.get_by_role("tab", name="API keys").click()
    admin.get_by_label("Key name").fill("E2E integration")
    admin.get_by_label("Acts as user (email, optional)").fill("customer@example.com")
    admin.get_by_label("shipments:read").check()
    admin.get_by_role("button", name="Create API key").click()
    expect(admin.locator("#new-api-key")).to_have_value(re.compile(r"^lai_"))
    key = admin.locator("#new-api-key").input_value().strip()
    assert key.startswith("lai_")
    listed = httpx.get(f"{app_url}/api/v1/shipments", headers={"X-API-Key": key})
    assert listed.status_code == 200 and listed.json()["total"] > 0
    admin.get_by_role("button", name="Revoke API key E2E integration").click()
    expect(admin.locator("#keys-table")).to_contain_text("revoked")
    assert httpx.get(f"{app_url}/api/v1/shipments", headers={"X-API-Key": key}).status_code == 401

    admin.get_by_role("tab", name="Audit log").click()
    admin.get_by_label("Action starts with").fill("api_key.")
    admin.get_by_role("button", name="Filter").click()
    expect(admin.locator("#audit-table")).to_contain_text("api_key.revoked")
    expect(admin.locator("#audit-table")).to_contain_text("api_key.created")


def test_non_admins_cannot_open_admin(browser: Browser, app_url: str) -> None:
    page = signed_in(browser, app_url, "dispatcher@example.com", DESKTOP, "/dispatch")
    page.goto("/admin")
    page.wait_for_url("**/dispatch**", timeout=15_000)
    expect(page.get_by_role("link", name="Admin", exact=True)).to_have_count(0)


def test_user_signs_out_another_session(browser: Browser, app_url: str) -> None:
    phone = signed_in(browser, app_url, "customer2@example.com", MOBILE, "/customer")
    laptop = signed_in(browser, app_url, "customer2@example.com", DESKTOP, "/customer")
    laptop.get_by_role("link", name="My sessions").click()
    laptop.wait_for_url("**/account/sessions**")
    sessions = laptop.get_by_role("list", name="My sessions")
    expect(sessions).to_contain_text("this browser")
    others = laptop.get_by_role("button", name=re.compile(r"^Sign out session Browser"))
    count = others.count()
    assert count >= 1
    for _ in range(count):
        others.first.click()
        expect(laptop.get_by_text("Session signed out").first).to_be_visible()
    expect(others).to_have_count(0)
    phone.goto("/customer")
    phone.wait_for_url("**/login**", timeout=15_000)
