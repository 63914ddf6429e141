"""Browser sessions: the HttpOnly cookie is the credential, a tab token alone reads nothing.

Each test builds its own sessions. Websocket frames are captured as the real client receives
them, so "gets nothing" means: no frame carries the other user's data.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.e2e.conftest import DESKTOP
from tests.e2e.pages import DEMO_PASSWORD, signed_in

pytestmark = pytest.mark.e2e


@pytest.fixture
def admin_api_token(app_url: str) -> str:
    answer = httpx.post(
        f"{app_url}/api/v1/auth/token",
        json={"email": "admin@example.com", "password": DEMO_PASSWORD},
    )
    assert answer.status_code == 200, answer.text
    return str(answer.json()["access_token"])


def frames_of(page: Page) -> list[str]:
    """Every websocket frame the page receives from now on (Reflex's deltas and events)."""
    frames: list[str] = []
    page.on(
        "websocket", lambda ws: ws.on("framereceived", lambda payload: frames.append(str(payload)))
    )
    return frames


def tab_token(page: Page) -> str:
    token = page.evaluate("window.sessionStorage.getItem('token')")
    assert token, "the page has no Reflex tab token"
    return str(token)


def context_with_token(browser: Browser, app_url: str, token: str) -> BrowserContext:
    """A browser with no cookies that presents someone else's tab token."""
    context = browser.new_context(viewport=DESKTOP, base_url=app_url)
    context.add_init_script(f"window.sessionStorage.setItem('token', {json.dumps(token)})")
    return context


def wait_until(page: Page, condition: Callable[[], bool], what: str) -> None:
    for _ in range(100):
        if condition():
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"timed out waiting for {what}")


def hydrated(frames: list[str]) -> Callable[[], bool]:
    return lambda: any('"delta"' in frame for frame in frames)


def session_cookie(context: BrowserContext) -> dict[str, object]:
    cookies = [c for c in context.cookies() if c["name"].endswith("lai_session")]
    assert len(cookies) == 1, cookies
    return dict(cookies[0])


def test_the_session_cookie_is_http_only_and_strict(browser: Browser, app_url: str) -> None:
    page = signed_in(browser, app_url, "dispatcher@example.com", DESKTOP, "/dispatch")
    cookie = session_cookie(page.context)
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Strict"
    assert page.evaluate("document.cookie").find("lai_session") == -1  # scripts cannot read it


def test_a_tab_token_without_the_cookie_gets_nothing(browser: Browser, app_url: str) -> None:
    victim = signed_in(browser, app_url, "dispatcher@example.com", DESKTOP, "/dispatch")
    expect(victim.locator("tr[data-code]").first).to_be_visible(timeout=15_000)
    code = victim.locator("tr[data-code]").first.get_attribute("data-code")
    name = victim.locator("#signed-in-user").inner_text().strip()
    assert code and name
    token = tab_token(victim)

    thief = context_with_token(browser, app_url, token).new_page()
    frames = frames_of(thief)
    sockets: list[str] = []
    thief.on("websocket", lambda ws: sockets.append(ws.url))
    thief.goto("/dispatch")
    thief.wait_for_url("**/login**", timeout=15_000)
    wait_until(thief, hydrated(frames), "the thief's hydration")
    assert any(f"token={token}" in url for url in sockets), sockets  # it really used the token
    received = "\n".join(frames)
    assert code not in received
    assert name not in received
    expect(thief.locator("#signed-in-user")).to_have_count(0)


def test_after_sign_out_the_tab_token_hydrates_signed_out(
    browser: Browser, app_url: str, admin_api_token: str
) -> None:
    admin = signed_in(browser, app_url, "admin@example.com", DESKTOP, "/dispatch")
    admin.goto("/admin")
    expect(admin.locator("#users-table")).to_contain_text("dispatcher@example.com")
    admin.get_by_role("tab", name="API keys").click()
    admin.get_by_label("Key name").fill("Sign-out probe")
    admin.get_by_label("shipments:read").check()
    admin.get_by_role("button", name="Create API key").click()
    expect(admin.locator("#new-api-key")).to_have_value(re.compile(r"^lai_"))
    secret = admin.locator("#new-api-key").input_value()
    token = tab_token(admin)

    frames = frames_of(admin)
    admin.get_by_role("button", name="Log out").click()
    admin.wait_for_url("**/login**")
    wait_until(admin, hydrated(frames), "hydration after sign-out")
    assert session_cookie_absent(admin.context)

    thief = context_with_token(browser, app_url, token).new_page()
    thief_frames = frames_of(thief)
    thief.goto("/admin")
    thief.wait_for_url("**/login**", timeout=15_000)
    wait_until(thief, hydrated(thief_frames), "the thief's hydration")
    for received in ("\n".join(frames), "\n".join(thief_frames)):
        assert secret not in received
        assert "dispatcher@example.com" not in received  # the users table
        assert "Sign-out probe" not in received  # the keys table

    # Web sign-out goes through the audited service.
    events = httpx.get(
        f"{app_url}/api/v1/audit-events",
        params={"action": "auth.logout", "actor": "admin@example.com"},
        headers={"Authorization": f"Bearer {admin_api_token}"},
    )
    assert events.status_code == 200
    assert events.json()["total"] >= 1


def session_cookie_absent(context: BrowserContext) -> bool:
    return not [c for c in context.cookies() if c["name"].endswith("lai_session")]


def test_an_api_key_secret_does_not_survive_a_reload(browser: Browser, app_url: str) -> None:
    admin = signed_in(browser, app_url, "admin@example.com", DESKTOP, "/dispatch")
    admin.goto("/admin")
    admin.get_by_role("tab", name="API keys").click()
    admin.get_by_label("Key name").fill("Reload probe")
    admin.get_by_label("shipments:read").check()
    admin.get_by_role("button", name="Create API key").click()
    field = admin.locator("#new-api-key")
    expect(field).to_have_value(re.compile(r"^lai_"))
    secret = field.input_value()

    frames = frames_of(admin)
    admin.reload()
    wait_until(admin, hydrated(frames), "hydration after the reload")
    admin.get_by_role("tab", name="API keys").click()
    expect(admin.locator("#keys-table")).to_contain_text("Reload probe")
    expect(field).to_be_hidden()
    assert field.input_value() == ""
    assert secret not in "\n".join(frames)


def test_sign_in_and_out_refuse_cross_origin_posts(app_url: str) -> None:
    form = {"email": "dispatcher@example.com", "password": DEMO_PASSWORD}
    for origin in ("https://evil.example", "null", None):
        headers = {"Origin": origin} if origin else {}
        answer = httpx.post(f"{app_url}/api/web/login", data=form, headers=headers)
        assert answer.status_code == 403, origin
        assert "set-cookie" not in answer.headers
    same = httpx.post(f"{app_url}/api/web/login", data=form, headers={"Origin": app_url})
    assert same.status_code == 303
    cookie = same.cookies.get("lai_session")
    assert cookie
    # A forged cross-site "Log out" neither revokes nor clears the session.
    forged = httpx.post(
        f"{app_url}/api/web/logout",
        cookies={"lai_session": cookie},
        headers={"Origin": "https://evil.example"},
    )
    assert forged.status_code == 403
    assert "set-cookie" not in forged.headers
    signed_out = httpx.post(
        f"{app_url}/api/web/logout", cookies={"lai_session": cookie}, headers={"Origin": app_url}
    )
    assert signed_out.status_code == 303
    assert 'lai_session=""' in signed_out.headers["set-cookie"]
