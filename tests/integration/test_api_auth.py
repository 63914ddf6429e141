"""Tokens, sessions and attacks on them, through the real HTTP API."""

from __future__ import annotations

import base64
import json
import time
from datetime import timedelta

import jwt
import pytest
from sqlmodel import Session, select

from logistics_ai.models import AuditEvent, utcnow
from logistics_ai.security import tokens
from tests.support import app_config
from tests.support.api import bearer, client, login
from tests.support.world import PASSWORD, World

ME = "/api/v1/me"


def _claims(world: World) -> dict:
    now = utcnow()
    return {
        "iss": tokens.ISSUER,
        "aud": tokens.API_AUDIENCE,
        "sub": str(world.alice.user_id),
        "role": "customer",
        "sid": "x",
        "iat": now,
        "nbf": now,
        "exp": now + timedelta(minutes=5),
        "jti": "j1",
    }


def test_login_me_refresh_logout(world: World) -> None:
    http = client()
    pair = login(http, "alice@test.example.com")
    assert pair["token_type"] == "bearer" and pair["expires_in"] == 900
    me = http.get(ME, headers=bearer(pair["access_token"])).json()
    assert (me["email"], me["role"]) == ("alice@test.example.com", "customer")
    rotated = http.post("/api/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert rotated.status_code == 200
    new = rotated.json()
    assert new["refresh_token"] != pair["refresh_token"]
    assert http.post("/api/v1/auth/logout", headers=bearer(new["access_token"])).status_code == 204
    for token in (new["access_token"], pair["access_token"]):  # the whole session is gone
        assert http.get(ME, headers=bearer(token)).status_code == 401
    again = http.post("/api/v1/auth/refresh", json={"refresh_token": new["refresh_token"]})
    assert again.status_code == 401


def test_refresh_reuse_revokes_the_family(world: World, session: Session) -> None:
    http = client()
    first = login(http, "alice@test.example.com")
    second = http.post(
        "/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]}
    ).json()
    stolen = http.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert stolen.status_code == 401
    assert "already used" in stolen.json()["error"]["message"]
    assert http.get(ME, headers=bearer(second["access_token"])).status_code == 401
    legit = http.post("/api/v1/auth/refresh", json={"refresh_token": second["refresh_token"]})
    assert legit.status_code == 401
    assert session.exec(
        select(AuditEvent).where(AuditEvent.action == "auth.refresh_reuse_detected")
    ).one()


def test_forged_tokens_are_rejected(world: World) -> None:
    http = client()
    valid = login(http, "alice@test.example.com")["access_token"]
    header, payload, signature = valid.split(".")
    key = tokens.signing_keys()[tokens.active_kid()]
    good_claims = {**jwt.decode(valid, options={"verify_signature": False})}

    def unsigned(claims: dict) -> str:
        return jwt.encode(claims, None, algorithm="none", headers={"kid": tokens.active_kid()})

    def tampered_role() -> str:
        body = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        body["role"] = "admin"
        forged = base64.urlsafe_b64encode(json.dumps(body).encode()).rstrip(b"=").decode()
        return f"{header}.{forged}.{signature}"

    now = int(time.time())
    attacks = {
        "alg none": unsigned(good_claims),
        "wrong key": jwt.encode(
            good_claims, "k" * 64, algorithm="HS256", headers={"kid": tokens.active_kid()}
        ),
        # The right key under another algorithm: the server pins HS256 and ignores `alg`.
        "other algorithm": jwt.encode(
            good_claims, key, algorithm="HS512", headers={"kid": tokens.active_kid()}
        ),
        "unknown kid": jwt.encode(good_claims, key, algorithm="HS256", headers={"kid": "zz"}),
        "expired": jwt.encode(
            {**good_claims, "exp": now - 60, "iat": now - 120},
            key,
            algorithm="HS256",
            headers={"kid": tokens.active_kid()},
        ),
        "not yet valid": jwt.encode(
            {**good_claims, "nbf": now + 600},
            key,
            algorithm="HS256",
            headers={"kid": tokens.active_kid()},
        ),
        "wrong audience": jwt.encode(
            {**good_claims, "aud": tokens.WEB_AUDIENCE},
            key,
            algorithm="HS256",
            headers={"kid": tokens.active_kid()},
        ),
        "tampered role": tampered_role(),
        "garbage": "not.a.jwt",
    }
    for name, token in attacks.items():
        response = http.get(ME, headers=bearer(token))
        assert response.status_code == 401, name
        assert response.json()["error"]["code"] == "unauthenticated", name
    assert http.get(ME, headers=bearer(valid)).status_code == 200


def test_rs256_token_signed_with_any_key_is_refused(world: World) -> None:
    from cryptography.hazmat.primitives.asymmetric import rsa

    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    http = client()
    claims = jwt.decode(
        login(http, "alice@test.example.com")["access_token"], options={"verify_signature": False}
    )
    forged = jwt.encode(claims, private, algorithm="RS256", headers={"kid": tokens.active_kid()})
    assert http.get(ME, headers=bearer(forged)).status_code == 401


def test_revoked_jti_is_refused(world: World) -> None:
    http = client()
    access = login(http, "alice@test.example.com")["access_token"]
    tokens.revoke(tokens.decode(access))
    assert http.get(ME, headers=bearer(access)).status_code == 401


def test_key_rotation_accepts_both_keys(world: World) -> None:
    old, new = "a" * 40, "b" * 40
    with app_config.configured(jwt_keys=f"k-old:{old}", jwt_active_kid="k-old"):
        http = client()
        old_token = login(http, "alice@test.example.com")["access_token"]
    with app_config.configured(jwt_keys=f"k-old:{old},k-new:{new}", jwt_active_kid="k-new"):
        http = client()
        new_token = login(http, "alice@test.example.com")["access_token"]
        assert jwt.get_unverified_header(new_token)["kid"] == "k-new"
        assert http.get(ME, headers=bearer(old_token)).status_code == 200
        assert http.get(ME, headers=bearer(new_token)).status_code == 200
    with app_config.configured(jwt_keys=f"k-new:{new}", jwt_active_kid="k-new"):
        http = client()
        assert http.get(ME, headers=bearer(old_token)).status_code == 401  # old key retired
        assert http.get(ME, headers=bearer(new_token)).status_code == 200


def test_sessions_can_be_listed_and_revoked(world: World) -> None:
    http = client()
    laptop = login(http, "alice@test.example.com")
    phone = login(http, "alice@test.example.com")
    listed = http.get("/api/v1/me/sessions", headers=bearer(laptop["access_token"])).json()
    assert len(listed) == 2 and sum(s["current"] for s in listed) == 1
    other = next(s for s in listed if not s["current"])
    assert (
        http.delete(
            f"/api/v1/me/sessions/{other['session_id']}", headers=bearer(laptop["access_token"])
        ).status_code
        == 204
    )
    assert http.get(ME, headers=bearer(phone["access_token"])).status_code == 401
    assert http.get(ME, headers=bearer(laptop["access_token"])).status_code == 200
    bob = login(http, "bob@test.example.com")
    # Another user's session id answers 404: it is none of bob's business that it exists.
    sid = listed[0]["session_id"]
    assert (
        http.delete(f"/api/v1/me/sessions/{sid}", headers=bearer(bob["access_token"])).status_code
        == 404
    )


def test_brute_force_is_rate_limited_then_lifted(world: World) -> None:
    # A 5 s window: the four attempts must land in it even on a loaded machine (each one
    # hashes a password).
    with app_config.configured(rate_limit_auth_per_account="3", rate_limit_auth_window_seconds="5"):
        http = client()
        codes = [
            http.post(
                "/api/v1/auth/token", json={"email": "bob@test.example.com", "password": "guess"}
            ).status_code
            for _ in range(4)
        ]
        assert codes == [401, 401, 401, 429]
        blocked = http.post(
            "/api/v1/auth/token", json={"email": "bob@test.example.com", "password": PASSWORD}
        )
        assert blocked.status_code == 429
        # Fixed windows with a sliding estimate: a burst is forgotten within two windows.
        retry_after = int(blocked.headers["Retry-After"])
        assert 1 <= retry_after <= 10
        time.sleep(retry_after + 0.1)
        assert login(http, "bob@test.example.com")["access_token"]


def test_per_ip_limit_covers_many_accounts(world: World) -> None:
    with app_config.configured(rate_limit_auth_per_ip="5", rate_limit_auth_window_seconds="30"):
        http = client()
        codes = [
            http.post(
                "/api/v1/auth/token", json={"email": f"user{i}@test.example.com", "password": "x"}
            ).status_code
            for i in range(6)
        ]
    assert codes == [401] * 5 + [429]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "new@test.example.com", "full_name": "N", "password": "short"}, "password"),
        ({"email": "not-an-email", "full_name": "N", "password": "long-enough-pass"}, "email"),
    ],
)
def test_registration_validates(world: World, body: dict, field: str) -> None:
    response = client().post("/api/v1/auth/register", json=body)
    assert response.status_code == 422
    assert field in response.json()["error"]["details"]["fields"]


def test_customer_self_registration_and_invited_staff(world: World) -> None:
    http = client()
    created = http.post(
        "/api/v1/auth/register",
        json={
            "email": "new@test.example.com",
            "full_name": "New Customer",
            "password": "a-good-long-password",
        },
    )
    # Confirmed by an emailed link first (tests/integration/test_account_protection.py).
    assert created.status_code == 202 and "Check your inbox" in created.json()["message"]
    unconfirmed = http.post(
        "/api/v1/auth/token",
        json={"email": "new@test.example.com", "password": "a-good-long-password"},
    )
    assert unconfirmed.status_code == 401

    admin = bearer(login(http, "admin@test.example.com")["access_token"])
    invited = http.post(
        "/api/v1/users/invitations",
        headers=admin,
        json={"email": "newdriver@test.example.com", "full_name": "Nia Driver", "role": "driver"},
    )
    assert invited.status_code == 201
    token = invited.json()["invitation_token"]
    failed = http.post(
        "/api/v1/auth/token",
        json={"email": "newdriver@test.example.com", "password": "anything-at-all"},
    )
    assert failed.status_code == 401  # cannot log in before accepting
    accepted = http.post(
        "/api/v1/auth/invitations/accept", json={"token": token, "password": "drive-safe-2026"}
    )
    assert accepted.status_code == 200 and accepted.json()["is_active"] is True
    assert login(http, "newdriver@test.example.com", "drive-safe-2026")
    reused = http.post(
        "/api/v1/auth/invitations/accept", json={"token": token, "password": "drive-safe-2027"}
    )
    assert reused.status_code == 404
