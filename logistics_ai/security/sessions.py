"""Browser login sessions: a signed, expiring token naming the user.

The token only says who logged in; every request reloads the user from the database,
so a deactivated account or a changed role takes effect at once.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

import jwt

from logistics_ai.models import User, utcnow
from logistics_ai.settings import get_settings

ALGORITHM = "HS256"  # pinned: the decoder never takes the algorithm from the token
AUDIENCE = "logistics-ai:web"
ISSUER = "logistics-ai"


def issue_session_token(user: User) -> str:
    settings = get_settings()
    now = utcnow()
    claims = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": str(user.id),
        "role": user.role,
        "iat": now,
        "nbf": now,
        "exp": now + timedelta(seconds=settings.session_ttl_seconds),
        "jti": secrets.token_urlsafe(16),
    }
    return jwt.encode(claims, settings.secret_key, algorithm=ALGORITHM)


def user_id_from_token(token: str) -> int | None:
    """The user id in a valid token, or None for a missing, forged or expired one."""
    if not token:
        return None
    try:
        claims = jwt.decode(
            token,
            get_settings().secret_key,
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            issuer=ISSUER,
            options={"require": ["exp", "iat", "sub", "aud", "iss"]},
        )
        return int(claims["sub"])
    except (jwt.PyJWTError, ValueError):
        return None
