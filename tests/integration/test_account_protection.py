"""Account protection through the real API, with email through a real SMTP server (issue 10,
item 4): progressive delays instead of lockout, identical answers for known and unknown
emails, confirmation and reset links, password change, TOTP, breached passwords, refresh-family
maximum age; each step audited."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pyotp
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from logistics_ai.db import session_scope
from logistics_ai.kvstore import get_store
from logistics_ai.models import AuditEvent, User
from tests.support import app_config
from tests.support.api import bearer, client, login
from tests.support.mailbox import Mailbox, body, link_path, smtp_server
from tests.support.world import PASSWORD, World

TOKEN = "/api/v1/auth/token"
ADMIN = "admin@test.example.com"


@pytest.fixture
def mailbox(clean_db: None) -> Iterator[Mailbox]:
    with (
        smtp_server() as box,
        app_config.configured(
            smtp_host=box.host,
            smtp_port=str(box.port),
            smtp_security="none",
            public_base_url="https://logistics.test",
            rate_limit_auth_per_account="100",
            rate_limit_auth_per_ip="100",
            trusted_proxy_hops="1",
        ),
    ):
        yield box


def _actions(session: Session, prefix: str) -> list[str]:
    session.expire_all()
    rows = session.exec(
        select(AuditEvent).where(col(AuditEvent.action).startswith(prefix)).order_by(AuditEvent.id)
    ).all()
    return [r.action for r in rows]


def _from(ip: str) -> dict[str, str]:
    return {"X-Forwarded-For": ip}


def _sign_in(http: TestClient, email: str, password: str, ip: str, **extra: Any):  # type: ignore[no-untyped-def]
    return http.post(TOKEN, json={"email": email, "password": password, **extra}, headers=_from(ip))


def _attempt_waiting(http: TestClient, email: str, password: str, ip: str):  # type: ignore[no-untyped-def]
    """Try, and when told to wait, wait exactly as long as Retry-After says, then try again."""
    for _ in range(10):
        response = _sign_in(http, email, password, ip)
        if response.status_code != 429:
            return response
        time.sleep(int(response.headers["Retry-After"]))
    raise AssertionError("still throttled after ten waits")


# --- Progressive delays ------------------------------------------------------------------


def test_six_wrong_passwords_then_the_right_one_signs_in_after_the_delay(
    world: World, mailbox: Mailbox, session: Session
) -> None:
    http = client()
    statuses = []
    for _ in range(6):
        statuses.append(
            _attempt_waiting(http, ADMIN, "wrong password 123", "203.0.113.5").status_code
        )
    assert statuses == [401] * 6
    waiting = _sign_in(http, ADMIN, PASSWORD, "203.0.113.5")
    assert waiting.status_code == 429  # not locked: told how long to wait (1 s, 2 s, then 4 s)
    assert 1 <= int(waiting.headers["Retry-After"]) <= 4
    assert _attempt_waiting(http, ADMIN, PASSWORD, "203.0.113.5").status_code == 200
    actions = _actions(session, "auth.login")
    assert actions.count("auth.login_failed") == 6
    assert "auth.login_throttled" in actions and actions[-1] == "auth.login"


def test_an_attacker_elsewhere_cannot_keep_the_admin_out(world: World, mailbox: Mailbox) -> None:
    http = client()
    assert _sign_in(http, ADMIN, PASSWORD, "192.0.2.10").status_code == 200  # the admin's desk
    for n in range(25):  # a botnet: every attempt from a fresh address
        assert _sign_in(http, ADMIN, "guess-" + str(n), f"198.51.100.{n}").status_code in (401, 429)
    assert _sign_in(http, ADMIN, PASSWORD, "192.0.2.10").status_code == 200


def test_answers_are_identical_for_known_and_unknown_emails(world: World, mailbox: Mailbox) -> None:
    http = client()
    answers = {}
    for email in (ADMIN, "nobody@test.example.com"):
        responses = [_sign_in(http, email, "wrong password 123", "203.0.113.77") for _ in range(5)]
        answers[email] = [(r.status_code, r.json()["error"]["message"]) for r in responses]
        get_store().delete("login:ip:203.0.113.77")  # the address's own count is shared
    assert answers[ADMIN] == answers["nobody@test.example.com"]
    assert answers[ADMIN][0] == (401, "Email or password is incorrect.")
    assert answers[ADMIN][-1][0] == 429


def test_throttle_keys_do_not_contain_the_email(world: World, mailbox: Mailbox) -> None:
    http = client()
    _sign_in(http, ADMIN, "wrong password 123", "203.0.113.8")
    from logistics_ai.security import login_throttle

    assert all("admin@" not in scope.key for scope in login_throttle._scopes(ADMIN, "x"))


# --- Registration -----------------------------------------------------------------------


def _register(http: TestClient, email: str, password: str = "a-proper-long-password"):  # type: ignore[no-untyped-def]
    return http.post(
        "/api/v1/auth/register",
        json={"email": email, "full_name": "Nova Shopper", "password": password},
    )


def test_registration_answers_the_same_and_confirms_by_email(
    world: World, mailbox: Mailbox, session: Session
) -> None:
    http = client()
    new, existing = _register(http, "nova@shop.example.com"), _register(http, ADMIN)
    assert new.status_code == existing.status_code == 202
    assert new.json() == existing.json()
    assert "Check your inbox" in new.json()["message"]
    notice = mailbox.wait_for(ADMIN)[0]
    assert "already has one" in body(notice)
    confirmation = mailbox.wait_for("nova@shop.example.com")[0]
    assert confirmation["Subject"] == "Confirm your Logistics AI account"
    token = link_path(confirmation, "/confirm")
    # Before confirming, the right password is not enough (and says why only to its holder).
    early = _sign_in(http, "nova@shop.example.com", "a-proper-long-password", "203.0.113.9")
    assert early.status_code == 401 and "Confirm your email" in early.json()["error"]["message"]
    assert http.post("/api/v1/auth/confirm", json={"token": token}).status_code == 200
    assert http.post("/api/v1/auth/confirm", json={"token": token}).status_code == 404  # once
    login(http, "nova@shop.example.com", "a-proper-long-password")
    actions = _actions(session, "auth.")
    for action in (
        "auth.registration_existing_email",
        "auth.confirmation_sent",
        "auth.email_confirmed",
    ):
        assert action in actions


def test_common_and_breached_passwords_are_refused(world: World, mailbox: Mailbox) -> None:
    http = client()
    for password in ("password1234", "Qwertyuiop!", "iloveyou2024"):
        response = _register(http, f"p{len(password)}@shop.example.com", password)
        assert response.status_code == 422, response.text
        assert "too common" in json.dumps(response.json())
    assert _register(http, "fine@shop.example.com", "tram-harbour-violet-42").status_code == 202


# --- Password reset and change ----------------------------------------------------------


def test_password_reset_by_one_time_link(world: World, mailbox: Mailbox, session: Session) -> None:
    http = client()
    old_session = login(http, "alice@test.example.com")
    answers = [
        http.post("/api/v1/auth/password-reset", json={"email": email})
        for email in ("alice@test.example.com", "ghost@test.example.com")
    ]
    assert [a.status_code for a in answers] == [202, 202]
    assert answers[0].json() == answers[1].json()
    token = link_path(mailbox.wait_for("alice@test.example.com")[0], "/reset")
    assert mailbox.to("ghost@test.example.com") == []
    weak = http.post(
        "/api/v1/auth/password-reset/confirm", json={"token": token, "password": "password123"}
    )
    assert weak.status_code == 422  # the link survives a refused password
    done = http.post(
        "/api/v1/auth/password-reset/confirm",
        json={"token": token, "password": "new-harbour-violet-42"},
    )
    assert done.status_code == 200, done.text
    again = http.post(
        "/api/v1/auth/password-reset/confirm",
        json={"token": token, "password": "other-harbour-violet-43"},
    )
    assert again.status_code == 404
    assert http.get("/api/v1/me", headers=bearer(old_session["access_token"])).status_code == 401
    login(http, "alice@test.example.com", "new-harbour-violet-42")
    assert any("password was changed" in m["Subject"] for m in mailbox.wait_for("alice@", 2))
    actions = _actions(session, "auth.password_reset")
    assert actions == ["auth.password_reset_requested"] * 2 + ["auth.password_reset"]


def test_password_change_signs_out_other_sessions(
    world: World, mailbox: Mailbox, session: Session
) -> None:
    http = client()
    here, elsewhere = login(http, "bob@test.example.com"), login(http, "bob@test.example.com")
    wrong = http.post(
        "/api/v1/me/password",
        json={"current_password": "not it at all", "new_password": "tram-harbour-violet-42"},
        headers=bearer(here["access_token"]),
    )
    assert wrong.status_code == 401
    changed = http.post(
        "/api/v1/me/password",
        json={"current_password": PASSWORD, "new_password": "tram-harbour-violet-42"},
        headers=bearer(here["access_token"]),
    )
    assert changed.status_code == 204, changed.text
    assert http.get("/api/v1/me", headers=bearer(here["access_token"])).status_code == 200
    assert http.get("/api/v1/me", headers=bearer(elsewhere["access_token"])).status_code == 401
    login(http, "bob@test.example.com", "tram-harbour-violet-42")
    assert _actions(session, "auth.password_change") == [
        "auth.password_change_failed",
        "auth.password_changed",
    ]


# --- TOTP for staff ---------------------------------------------------------------------


def test_staff_two_factor_enrolment_and_sign_in(
    world: World, mailbox: Mailbox, session: Session
) -> None:
    http = client()
    token = login(http, ADMIN)["access_token"]
    setup = http.post("/api/v1/me/totp/setup", headers=bearer(token)).json()
    assert setup["otpauth_uri"].startswith("otpauth://totp/")
    app = pyotp.TOTP(setup["secret"])  # the person's authenticator app
    bad = http.post("/api/v1/me/totp/enable", json={"code": "000000"}, headers=bearer(token))
    assert bad.status_code == 422
    ok = http.post("/api/v1/me/totp/enable", json={"code": app.now()}, headers=bearer(token))
    assert ok.status_code == 204
    needs = _sign_in(http, ADMIN, PASSWORD, "192.0.2.50")
    assert needs.status_code == 401 and needs.json()["error"]["code"] == "otp_required"
    wrong = _sign_in(http, ADMIN, PASSWORD, "192.0.2.50", otp="123456")
    assert wrong.status_code == 401 and "authenticator code" in wrong.json()["error"]["message"]
    # The next 30-second step's code (accepted for clock drift) signs in once, never twice.
    code = app.at(time.time() + 30)
    assert _sign_in(http, ADMIN, PASSWORD, "192.0.2.50", otp=code).status_code == 200
    replay = _sign_in(http, ADMIN, PASSWORD, "192.0.2.50", otp=code)
    assert replay.status_code == 401
    customer = login(http, "alice@test.example.com")["access_token"]
    assert http.post("/api/v1/me/totp/setup", headers=bearer(customer)).status_code == 403
    actions = _actions(session, "auth.totp")
    assert actions[:3] == [
        "auth.totp_enrollment_started",
        "auth.totp_enable_failed",
        "auth.totp_enabled",
    ]


# --- Refresh-token families -------------------------------------------------------------


def test_a_sign_in_ends_at_its_absolute_maximum_age(
    world: World, mailbox: Mailbox, session: Session
) -> None:
    http = client()
    pair = login(http, "alice@test.example.com")
    with app_config.configured(refresh_family_max_age_seconds="3600"):
        from logistics_ai.security import refresh
        from logistics_ai.security.tokens import decode

        record = refresh.load(decode(pair["access_token"]).session_id)
        assert record is not None
        from datetime import timedelta

        from logistics_ai.models import utcnow

        record.created_at = (utcnow() - timedelta(seconds=3700)).isoformat()
        refresh._save(record)  # the family started just over an hour ago
        rotated = http.post("/api/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]})
        assert rotated.status_code == 401
        assert "maximum age" in rotated.json()["error"]["message"]
        assert http.get("/api/v1/me", headers=bearer(pair["access_token"])).status_code == 401
    assert _actions(session, "auth.refresh_family_expired") == ["auth.refresh_family_expired"]
    with session_scope() as s:
        assert s.exec(select(User).where(User.email == "alice@test.example.com")).one()
