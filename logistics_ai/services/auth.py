"""Sign-in for the API and the web app: token pairs, refresh rotation, logout, sessions."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from logistics_ai.domain.actors import Actor
from logistics_ai.domain.errors import AuthenticationFailed, NotFound
from logistics_ai.models import User
from logistics_ai.security import refresh, tokens
from logistics_ai.security.policy import Action, require
from logistics_ai.services import audit, users
from logistics_ai.settings import get_settings


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int
    session_id: str


@dataclass(frozen=True)
class WebLogin:
    token: str
    user: User


def _pair(user: User, record: refresh.SessionRecord, refresh_token: str) -> TokenPair:
    ttl = get_settings().access_token_ttl_seconds
    access = tokens.issue(user.id, user.role, record.session_id, ttl_s=ttl)  # type: ignore[arg-type]
    return TokenPair(access, refresh_token, ttl, record.session_id)


def login(
    session: Session, email: str, password: str, *, ip: str | None, user_agent: str | None
) -> TokenPair:
    user = users.authenticate(session, email, password, ip=ip, user_agent=user_agent)
    record, refresh_token = refresh.start(user.id, "api", ip, user_agent)  # type: ignore[arg-type]
    return _pair(user, record, refresh_token)


def web_login(
    session: Session, email: str, password: str, *, ip: str | None, user_agent: str | None
) -> WebLogin:
    """A browser session: a signed cookie token bound to a revocable server-side session."""
    user = users.authenticate(session, email, password, ip=ip, user_agent=user_agent)
    record, _ = refresh.start(user.id, "web", ip, user_agent)  # type: ignore[arg-type]
    token = tokens.issue(
        user.id,
        user.role,
        record.session_id,  # type: ignore[arg-type]
        audience=tokens.WEB_AUDIENCE,
        ttl_s=get_settings().session_ttl_seconds,
    )
    return WebLogin(token, user)


def refresh_tokens(
    session: Session, refresh_token: str, *, ip: str | None, user_agent: str | None
) -> TokenPair:
    try:
        record, new_token = refresh.rotate(refresh_token, ip)
    except refresh.RefreshRejected as rejected:
        if rejected.reuse and rejected.session is not None:
            reused = rejected.session
            actor = Actor(
                user_id=reused.user_id,
                role=None,
                label=f"user:{reused.user_id}",
                ip=ip,
                user_agent=user_agent,
            )
            audit.record(
                session,
                actor,
                "auth.refresh_reuse_detected",
                "session",
                reused.session_id,
                {"family_revoked": True},
            )
            session.commit()  # evidence of a stolen token survives the error below
        raise AuthenticationFailed(str(rejected)) from None
    user = users.active_user(session, record.user_id)
    if user is None:
        refresh.revoke(record)
        raise AuthenticationFailed("This account is no longer active.")
    return _pair(user, record, new_token)


def user_for_access_token(
    session: Session,
    token: str,
    audience: str = tokens.API_AUDIENCE,
) -> tuple[User, tokens.TokenClaims]:
    """The active user behind a valid, unrevoked access token of a live session."""
    try:
        claims = tokens.decode(token, audience=audience)
    except tokens.InvalidToken:
        raise AuthenticationFailed("The access token is invalid or expired.") from None
    if not refresh.is_active(claims.session_id):
        raise AuthenticationFailed("This session has been signed out.")
    user = users.active_user(session, claims.user_id)
    if user is None:
        raise AuthenticationFailed("This account is no longer active.")
    return user, claims


def logout(session: Session, actor: Actor, claims: tokens.TokenClaims) -> None:
    tokens.revoke(claims)
    record = refresh.load(claims.session_id)
    if record is not None:
        refresh.revoke(record)
    audit.record(session, actor, "auth.logout", "session", claims.session_id)


def list_sessions(actor: Actor) -> list[refresh.SessionRecord]:
    require(actor, Action.session_manage)
    return refresh.for_user(actor.user_id)  # type: ignore[arg-type]


def revoke_session(session: Session, actor: Actor, session_id: str) -> None:
    require(actor, Action.session_manage)
    record = refresh.load(session_id)
    if record is None or record.revoked or record.user_id != actor.user_id:
        raise NotFound("Session not found.")
    refresh.revoke(record)
    audit.record(session, actor, "auth.session_revoked", "session", session_id)
