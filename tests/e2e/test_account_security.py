"""Account settings in a real browser: a dispatcher turns two-factor sign-in on and signs in with
it; a person changes their password. TOTP codes come from the test's own RFC 6238 code
(tests/support/totp.py), not from the app's helper."""

from __future__ import annotations

import re
import secrets
import time

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import DESKTOP, MOBILE
from tests.e2e.data import headers
from tests.support import totp

pytestmark = pytest.mark.e2e


def _invited(app_url: str, role: str) -> tuple[str, str]:
    """A new account of `role`, invited by the demo admin, with its own password."""
    email = f"{role}-{secrets.token_hex(3)}@e2e.example.com"
    password = f"quiet-harbour-{secrets.token_hex(4)}"
    invited = httpx.post(
        f"{app_url}/api/v1/users/invitations",
        json={"email": email, "full_name": f"E2E {role.title()}", "role": role},
        headers=headers(app_url, "admin@example.com"),
    )
    assert invited.status_code == 201, invited.text
    accepted = httpx.post(
        f"{app_url}/api/v1/auth/invitations/accept",
        json={"token": invited.json()["invitation_token"], "password": password},
    )
    assert accepted.status_code == 200, accepted.text
    return email, password


def _sign_in(page: Page, email: str, password: str, code: str = "") -> None:
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    if code:
        page.get_by_label("Authenticator code (staff with two-factor sign-in)").fill(code)
    page.get_by_role("button", name="Sign in").click()


def _open_settings(page: Page) -> None:
    page.get_by_role("link", name="Account", exact=True).click()
    page.wait_for_url("**/account/security**")
    expect(page.get_by_role("heading", name="Account settings")).to_be_visible(timeout=20_000)


def test_dispatcher_turns_on_two_factor_and_signs_in_with_it(
    browser: Browser, app_url: str
) -> None:
    email, password = _invited(app_url, "dispatcher")
    page = browser.new_context(viewport=DESKTOP, base_url=app_url).new_page()
    _sign_in(page, email, password)
    page.wait_for_url("**/dispatch**", timeout=20_000)
    expect(page.locator("#signed-in-user")).to_be_visible(timeout=20_000)
    _open_settings(page)

    page.get_by_role("button", name="Set up two-factor sign-in").click()
    secret_box = page.locator("#totp-secret")
    expect(secret_box).to_have_text(re.compile(r"^[A-Z2-7]{16,}$"), timeout=15_000)
    secret = secret_box.inner_text().strip()
    uri = page.locator("#totp-uri").get_attribute("href") or ""
    assert uri.startswith("otpauth://totp/") and f"secret={secret}" in uri
    qr = page.locator("#totp-qr")
    expect(qr).to_be_visible()
    assert (qr.get_attribute("src") or "").startswith("data:image/svg+xml;base64,")
    assert qr.evaluate("img => img.complete && img.naturalWidth > 0")  # a valid image

    code_box = page.get_by_label("6-digit code from the app")
    code_box.fill(totp.wrong(secret))
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    expect(page.locator("#totp-error")).to_contain_text("does not match", timeout=15_000)
    code_box.fill(totp.code(secret))
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    expect(page.locator("#totp-on")).to_be_visible(timeout=15_000)
    # The secret was shown for the set-up step only: gone from the page and from a reload.
    expect(page.locator("#totp-secret")).to_have_count(0)
    expect(page.locator("#totp-qr")).to_have_count(0)
    assert secret not in page.content()
    page.reload()
    expect(page.locator("#totp-on")).to_be_visible(timeout=20_000)
    assert secret not in page.content()

    page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**/login**")
    # Password alone: asked for the code.
    _sign_in(page, email, password)
    page.wait_for_url("**/login**")
    expect(page.get_by_role("alert")).to_contain_text("6-digit code", timeout=15_000)
    # A wrong code: refused with a clear message.
    _sign_in(page, email, password, totp.wrong(secret))
    page.wait_for_url("**/login**")
    expect(page.get_by_role("alert")).to_contain_text(
        "authenticator code is incorrect", timeout=15_000
    )
    # The next step's code (the current one was spent turning it on; replays are refused).
    _sign_in(page, email, password, totp.code(secret, at=time.time() + 30))
    page.wait_for_url("**/dispatch**", timeout=20_000)
    expect(page.locator("#signed-in-user")).to_be_visible(timeout=20_000)


def test_password_change_page(browser: Browser, app_url: str) -> None:
    email, password = _invited(app_url, "driver")
    page = browser.new_context(viewport=MOBILE, base_url=app_url).new_page()
    _sign_in(page, email, password)
    page.wait_for_url("**/driver**", timeout=20_000)
    expect(page.locator("#signed-in-user")).to_be_visible(timeout=20_000)
    _open_settings(page)
    expect(page.get_by_role("button", name="Set up two-factor sign-in")).to_have_count(0)
    expect(page.get_by_role("list", name="My consents")).to_contain_text("privacy notice")
    # 360 px wide: nothing scrolls sideways.
    assert page.evaluate("document.documentElement.scrollWidth") <= MOBILE["width"]

    # A consent switched on here is what the API reports afterwards.
    emails = page.get_by_role("switch", name="Emails about my deliveries")
    expect(emails).to_have_attribute("aria-checked", "false")
    emails.click()
    expect(emails).to_have_attribute("aria-checked", "true", timeout=15_000)
    token = httpx.post(
        f"{app_url}/api/v1/auth/token", json={"email": email, "password": password}
    ).json()["access_token"]
    decisions = httpx.get(
        f"{app_url}/api/v1/privacy/consents", headers={"Authorization": f"Bearer {token}"}
    ).json()["consents"]
    assert decisions["service_emails"] is True and decisions["product_updates"] is False

    new_password = f"lantern-meadow-{secrets.token_hex(4)}"

    def change(current: str, new: str, again: str) -> None:
        page.get_by_label("Current password").fill(current)
        page.get_by_label("New password (10+ characters, not a common one)").fill(new)
        page.get_by_label("Repeat the new password").fill(again)
        page.get_by_role("button", name="Change password").click()

    change("not-my-password-1", new_password, new_password)
    expect(page.locator("#current_password-error")).to_contain_text("incorrect", timeout=15_000)
    expect(page.locator("#signed-in-user")).to_be_visible()  # a typo does not sign the tab out
    change(password, new_password, new_password + "x")
    expect(page.locator("#new_password_again-error")).to_contain_text("differ", timeout=15_000)
    change(password, "short", "short")
    expect(page.locator("#new_password-error")).to_be_visible(timeout=15_000)
    change(password, new_password, new_password)
    expect(page.locator("#password-changed")).to_contain_text("changed", timeout=15_000)

    page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**/login**")
    _sign_in(page, email, password)  # the old password no longer works
    page.wait_for_url("**/login**")
    expect(page.get_by_role("alert")).to_contain_text("incorrect", timeout=15_000)
    _sign_in(page, email, new_password)
    page.wait_for_url("**/driver**", timeout=20_000)
