"""API access tokens: short-lived JWTs, HS256 pinned, signing keys chosen by `kid`.

Rotation: put the new key next to the old one in JWT_KEYS, switch JWT_ACTIVE_KID to it,
and remove the old key once the longest access-token lifetime has passed.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache

import jwt

from logistics_ai.kvstore import StoreUnavailable, get_store
from logistics_ai.models import utcnow
from logistics_ai.security import session_cache
from logistics_ai.settings import get_settings

ALGORITHM = "HS256"  # pinned server-side: the token's own `alg` header is never trusted
ISSUER = "logistics-ai"
API_AUDIENCE = "logistics-ai:api"
# No longer issued (browser sessions are opaque cookies): kept so that a token minted for
# the web audience is still recognised as foreign by the API.
WEB_AUDIENCE = "logistics-ai:web"
REQUIRED_CLAIMS = ["exp", "iat", "nbf", "sub", "aud", "iss", "jti", "role", "sid"]
PROFILE_CLAIMS = ("email", "cid", "did")


class InvalidToken(Exception):
    """The token is missing, malformed, forged, expired, revoked or for another audience."""


@dataclass(frozen=True)
class TokenClaims:
    user_id: int
    role: str
    session_id: str
    jti: str
    expires_at: int
    # The caller's profile, so verifying an API token needs no database row. Role changes and
    # deactivation revoke the user's sessions, so these cannot outlive a change (see
    # docs/performance.md, "Authentication cost").
    email: str | None = None
    customer_id: int | None = None
    driver_id: int | None = None


def signing_keys() -> dict[str, str]:
    settings = get_settings()
    return _parse_keys(settings.jwt_keys, settings.secret_key)


@lru_cache(maxsize=4)  # parsed once per configuration, not on every verification
def _parse_keys(jwt_keys: str, secret_key: str) -> dict[str, str]:
    keys: dict[str, str] = {}
    for pair in filter(None, (p.strip() for p in jwt_keys.split(","))):
        kid, _, secret = pair.partition(":")
        if not kid or len(secret) < 32:
            raise ValueError("JWT_KEYS entries must be kid:secret with a secret of 32+ chars")
        keys[kid] = secret
    if not keys:
        derived = hashlib.sha256(f"jwt:{secret_key}".encode()).hexdigest()
        keys["k1"] = derived
    return keys


def active_kid() -> str:
    keys = signing_keys()
    kid = get_settings().jwt_active_kid or next(iter(keys))
    if kid not in keys:
        raise ValueError(f"JWT_ACTIVE_KID {kid!r} is not in JWT_KEYS")
    return kid


def issue(
    user_id: int,
    role: str,
    session_id: str,
    *,
    audience: str = API_AUDIENCE,
    ttl_s: int | None = None,
    profile: dict[str, str | int | None] | None = None,
) -> str:
    now = utcnow()
    ttl = ttl_s if ttl_s is not None else get_settings().access_token_ttl_seconds
    kid = active_kid()
    claims = {
        "iss": ISSUER,
        "aud": audience,
        "sub": str(user_id),
        "role": role,
        "sid": session_id,
        "iat": now,
        "nbf": now,
        "exp": now + timedelta(seconds=ttl),
        "jti": secrets.token_urlsafe(16),
        **{k: v for k, v in (profile or {}).items() if k in PROFILE_CLAIMS and v is not None},
    }
    return jwt.encode(claims, signing_keys()[kid], algorithm=ALGORITHM, headers={"kid": kid})


def decode(token: str, *, audience: str = API_AUDIENCE) -> TokenClaims:
    """Verify signature, algorithm, audience, issuer, times and the revocation list."""
    parsed = verify(token, audience=audience)
    try:
        revoked = get_store().get(revoked_key(parsed.jti)) is not None
    except StoreUnavailable:  # Redis down: the signature and the short expiry still hold
        revoked = False
    if revoked:
        raise InvalidToken("token revoked")
    return parsed


LEEWAY_S = 5  # clock skew allowed on exp/nbf/iat

# Tokens that passed `verify`, by (token, audience) -> (claims, kid, signing key). A client
# sends the same access token on every request until it expires, and PyJWT's parsing and
# checks were ~11% of an authenticated read's CPU (docs/performance.md, Round 5). An entry
# is used only while its token has not expired and its key is still configured with the same
# secret (a retired key refuses its tokens at once). Revocation is never cached: the callers
# check the session and the token's marker in the store on every request.
_verified: dict[tuple[str, str], tuple[TokenClaims, str, str]] = {}
_MAX_VERIFIED = 10_000


def verify(token: str, *, audience: str = API_AUDIENCE) -> TokenClaims:
    """Verify signature, algorithm, audience, issuer and times: CPU only, no store lookup.

    The caller checks that the token's session is still live (revocation).
    """
    keys = signing_keys()
    cached = _verified.get((token, audience))
    if cached is not None:
        claims, kid, secret = cached
        # PyJWT's own expiry rule: expired once exp <= now - leeway.
        if keys.get(kid) == secret and claims.expires_at > time.time() - LEEWAY_S:
            return claims
        _verified.pop((token, audience), None)
    claims, kid = _verify_signed(token, audience, keys)
    if len(_verified) >= _MAX_VERIFIED:
        _verified.clear()
    _verified[(token, audience)] = (claims, kid, keys[kid])
    return claims


def _verify_signed(token: str, audience: str, keys: dict[str, str]) -> tuple[TokenClaims, str]:
    try:
        if len(keys) == 1:
            # One key (outside a rotation): verify straight away and check the kid after, so
            # the token is parsed once instead of twice (a third of verification's CPU).
            kid, key = next(iter(keys.items()))
        else:
            kid = str(jwt.get_unverified_header(token).get("kid", ""))
            key = keys.get(kid)  # type: ignore[assignment]  # None is handled just below
        if key is None:
            raise InvalidToken("unknown signing key")
        decoded = jwt.decode_complete(
            token,
            key,
            algorithms=[ALGORITHM],
            audience=audience,
            issuer=ISSUER,
            options={"require": REQUIRED_CLAIMS},
            leeway=LEEWAY_S,
        )
        if decoded["header"].get("kid") != kid or decoded["header"].get("alg") != ALGORITHM:
            raise InvalidToken("unknown signing key or algorithm")
        claims = decoded["payload"]
        parsed = TokenClaims(
            user_id=int(claims["sub"]),
            role=str(claims["role"]),
            session_id=str(claims["sid"]),
            jti=str(claims["jti"]),
            expires_at=int(claims["exp"]),
            email=claims.get("email"),
            customer_id=_optional_int(claims.get("cid")),
            driver_id=_optional_int(claims.get("did")),
        )
    except (jwt.PyJWTError, ValueError, TypeError, KeyError) as error:
        raise InvalidToken(str(error)) from None
    return parsed, kid


def _optional_int(value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, int | float | str):
        return int(value)
    raise InvalidToken("a numeric claim is not a number")


def revoke(claims: TokenClaims) -> None:
    remaining = claims.expires_at - int(utcnow().timestamp())
    if remaining > 0:
        get_store().set(revoked_key(claims.jti), "1", remaining + 5)
        session_cache.forget(jti=claims.jti)


def revoked_key(jti: str) -> str:
    return f"revoked_jti:{jti}"
