"""The public development secret is worthless against a staging instance (issue 10, item 3)."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from pathlib import Path

import jwt
import pytest

from logistics_ai.models import utcnow
from logistics_ai.security import tokens
from logistics_ai.settings import DEFAULT_SECRET, UnsafeSettingsError, get_settings
from tests.support import app_config
from tests.support.api import bearer, client, login
from tests.support.world import World

ME = "/api/v1/me"
STAGING = {
    "app_env": "staging",
    "public_base_url": "https://staging.example.com",
    "jwt_keys": "",
    # Staff two-factor is required in staging by default; this test is about the signing key,
    # and its admin signs in with a password only (tests/integration/test_staff_totp.py).
    "staff_totp": "optional",
}


def _forged_with_public_default(user_id: int, role: str, session_id: str) -> str:
    """What an attacker builds from the old README: the JWT key derived from DEFAULT_SECRET."""
    public_key = hashlib.sha256(f"jwt:{DEFAULT_SECRET}".encode()).hexdigest()
    now = utcnow()
    claims = {
        "iss": tokens.ISSUER,
        "aud": tokens.API_AUDIENCE,
        "sub": str(user_id),
        "role": role,
        "sid": session_id,
        "iat": now,
        "nbf": now,
        "exp": now + timedelta(minutes=5),
        "jti": "forged",
    }
    return jwt.encode(claims, public_key, algorithm="HS256", headers={"kid": "k1"})


def test_staging_refuses_to_start_with_the_public_or_a_missing_secret(world: World) -> None:
    for secret in (DEFAULT_SECRET, ""):
        with (
            app_config.configured(**STAGING, secret_key=secret),
            pytest.raises(UnsafeSettingsError, match="SECRET_KEY"),
        ):
            get_settings()


@pytest.mark.parametrize("env", ["staging", "dev-without-secret"])
def test_a_token_forged_with_the_public_default_cannot_sign_in(
    world: World, env: str, tmp_path: Path
) -> None:
    # dev with no SECRET_KEY used to fall back to the public value; now it generates its own.
    config = STAGING if env == "staging" else {"secret_key": "", "data_dir": str(tmp_path)}
    with app_config.configured(**config):
        assert get_settings().secret_key not in ("", DEFAULT_SECRET)
        http = client()
        # A real admin session exists, so only the signature separates the forgery from it.
        pair = login(http, "admin@test.example.com")
        session_id = tokens.decode(pair["access_token"]).session_id
        assert http.get(ME, headers=bearer(pair["access_token"])).status_code == 200
        forged = _forged_with_public_default(world.admin.user_id, "admin", session_id)  # type: ignore[arg-type]
        response = http.get(ME, headers=bearer(forged))
        assert response.status_code == 401, response.text
        assert http.get("/api/v1/users", headers=bearer(forged)).status_code == 401
