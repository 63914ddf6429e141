"""Mandatory two-factor sign-in for staff (STAFF_TOTP): the API refuses staff sessions opened
without a code with a clear 403 until they enrol; customers and the optional mode are not
affected; the browser side refuses the same sessions outside the enrolment page.

Real PostgreSQL and Redis; the codes come from the test's own RFC 6238 implementation.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from logistics_ai.db import session_scope
from logistics_ai.domain.errors import SecondFactorSetupRequired
from logistics_ai.services import web_sessions
from logistics_ai.settings import Settings
from tests.support import app_config, totp
from tests.support.api import bearer, client
from tests.support.world import PASSWORD, World

TOKEN = "/api/v1/auth/token"
DISPATCHER = "dispatch@test.example.com"
CUSTOMER = "alice@test.example.com"


@pytest.fixture
def required(world: World) -> Iterator[TestClient]:
    with (
        app_config.configured(
            staff_totp="required",
            rate_limit_auth_per_account="100",
            rate_limit_auth_per_ip="100",
        ),
        client() as http,
    ):
        yield http


def _token(http: TestClient, email: str, **extra: str) -> str:
    answer = http.post(TOKEN, json={"email": email, "password": PASSWORD, **extra})
    assert answer.status_code == 200, answer.text
    return str(answer.json()["access_token"])


def test_the_default_follows_the_environment() -> None:
    assert Settings(app_env="prod").staff_totp_required
    assert Settings(app_env="staging").staff_totp_required
    assert not Settings(app_env="dev").staff_totp_required  # the embedded default
    assert not Settings(app_env="prod", staff_totp="optional").staff_totp_required
    assert Settings(app_env="dev", staff_totp="required").staff_totp_required


def test_api_refuses_staff_without_a_second_factor_until_they_enrol(
    required: TestClient,
) -> None:
    http = required
    token = _token(http, DISPATCHER)
    refused = http.get("/api/v1/shipments", headers=bearer(token))
    assert refused.status_code == 403
    error = refused.json()["error"]
    assert error["code"] == "second_factor_required"
    assert "Two-factor sign-in is required" in error["message"]
    assert "/api/v1/me/totp/setup" in error["message"]  # says how to fix it

    setup = http.post("/api/v1/me/totp/setup", headers=bearer(token))
    assert setup.status_code == 200, setup.text
    secret = setup.json()["secret"]
    wrong = http.post(
        "/api/v1/me/totp/enable", json={"code": totp.wrong(secret)}, headers=bearer(token)
    )
    assert wrong.status_code == 422
    enabled = http.post(
        "/api/v1/me/totp/enable", json={"code": totp.code(secret)}, headers=bearer(token)
    )
    assert enabled.status_code == 204, enabled.text
    # The session that enrolled proved the code: it works from now on.
    assert http.get("/api/v1/shipments", headers=bearer(token)).status_code == 200
    # Turning it off is refused while it is mandatory.
    off = http.post(
        "/api/v1/me/totp/disable",
        json={"password": PASSWORD, "code": totp.code(secret, at=time.time() + 30)},
        headers=bearer(token),
    )
    assert off.status_code == 403

    # A new sign-in needs the code; with it, the API answers.
    assert http.post(TOKEN, json={"email": DISPATCHER, "password": PASSWORD}).status_code == 401
    fresh = _token(http, DISPATCHER, otp=totp.code(secret, at=time.time() + 30))
    assert http.get("/api/v1/shipments", headers=bearer(fresh)).status_code == 200


def test_customers_and_the_optional_mode_are_unaffected(world: World) -> None:
    with (
        app_config.configured(staff_totp="required", rate_limit_auth_per_account="100"),
        client() as http,
    ):
        customer = _token(http, CUSTOMER)
        assert http.get("/api/v1/shipments", headers=bearer(customer)).status_code == 200
    with (
        app_config.configured(staff_totp="optional", rate_limit_auth_per_account="100"),
        client() as http,
    ):
        staff = _token(http, DISPATCHER)
        assert http.get("/api/v1/shipments", headers=bearer(staff)).status_code == 200


def test_browser_sessions_of_staff_without_a_second_factor_reach_only_the_enrolment(
    required: TestClient,
) -> None:
    with session_scope() as session:
        cookie, _ = web_sessions.sign_in(session, DISPATCHER, PASSWORD, ip=None, user_agent=None)
    with session_scope() as session, pytest.raises(SecondFactorSetupRequired):
        web_sessions.verify(session, cookie)
    with session_scope() as session:
        who = web_sessions.verify(session, cookie, second_factor_setup=True)
    assert who.needs_second_factor
    with session_scope() as session:
        customer, _ = web_sessions.sign_in(session, CUSTOMER, PASSWORD, ip=None, user_agent=None)
        assert not web_sessions.verify(session, customer).needs_second_factor
