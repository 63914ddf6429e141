"""Request authentication, client identity and rate limiting for the API routers."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from logistics_ai.db import session_scope
from logistics_ai.domain.actors import Actor
from logistics_ai.domain.errors import AuthenticationFailed
from logistics_ai.observability.context import bind_user
from logistics_ai.security.api_keys import KEY_PREFIX
from logistics_ai.security.tokens import TokenClaims
from logistics_ai.services import api_keys, auth, limits, users
from logistics_ai.settings import get_settings

bearer_scheme = HTTPBearer(auto_error=False, description="JWT access token or API key")
api_key_scheme = APIKeyHeader(name="X-API-Key", auto_error=False, description="API key")


@dataclass(frozen=True)
class Principal:
    actor: Actor
    claims: TokenClaims | None  # None when authenticated by API key


def client_ip(request: Request) -> str | None:
    """The caller's IP, trusting X-Forwarded-For only from the configured proxy hops."""
    hops = get_settings().trusted_proxy_hops
    forwarded = request.headers.get("x-forwarded-for", "")
    if hops and forwarded:
        chain = [part.strip() for part in forwarded.split(",") if part.strip()]
        if len(chain) >= hops:
            return chain[-hops]
    return request.client.host if request.client else None


def user_agent(request: Request) -> str | None:
    return (request.headers.get("user-agent") or "")[:300] or None


def limit_auth_by_ip(request: Request) -> None:
    limits.auth_by_ip(client_ip(request))


def limit_auth_by_account(email: str) -> None:
    limits.auth_by_account(email)


def current_principal(
    request: Request,
    bearer: HTTPAuthorizationCredentials | None = Depends(bearer_scheme),
    header_key: str | None = Depends(api_key_scheme),
) -> Principal:
    credential = header_key or (bearer.credentials if bearer else None)
    if not credential:
        raise AuthenticationFailed("Authentication required: send a Bearer token or X-API-Key.")
    ip, agent = client_ip(request), user_agent(request)
    with session_scope() as session:
        if credential.startswith(KEY_PREFIX):
            actor = api_keys.authenticate(session, credential, ip=ip, user_agent=agent)
            principal = Principal(actor, None)
        else:
            user, claims = auth.user_for_access_token(session, credential)
            principal = Principal(users.actor_for(session, user, ip=ip, user_agent=agent), claims)
    bind_user(principal.actor.user_id)  # hashed into this request's log lines
    kind = "user" if principal.claims is not None else "key"
    limits.api_principal(f"{kind}:{principal.actor.api_key_id or principal.actor.user_id}")
    return principal


def current_actor(principal: Principal = Depends(current_principal)) -> Actor:
    return principal.actor


def limit_anonymous(request: Request) -> None:
    limits.anonymous(client_ip(request))
