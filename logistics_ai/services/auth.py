"""Sign-in for the API and the web app: token pairs, refresh rotation, logout, sessions."""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass

from sqlmodel import Session

from logistics_ai.domain.actors import Actor
from logistics_ai.domain.errors import AuthenticationFailed, NotFound
from logistics_ai.kvstore import StoreUnavailable, get_store
from logistics_ai.models import Role, User, saved_id
from logistics_ai.security import refresh, session_cache, tokens
from logistics_ai.security.policy import Action, require
from logistics_ai.services import audit, limits, users
from logistics_ai.settings import get_settings


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int
    session_id: str


@dataclass(frozen=True)
class WebLogin:
    token: str  # the session cookie's value: opaque, random, stored server-side only hashed
    user: User


def _pair(
    session: Session, user: User, record: refresh.SessionRecord, refresh_token: str
) -> TokenPair:
    ttl = get_settings().access_token_ttl_seconds
    actor = users.actor_for(session, user)
    # The profile rides in the token so that verifying it needs no database row.
    profile = {"email": user.email, "cid": actor.customer_id, "did": actor.driver_id}
    access = tokens.issue(
        saved_id(user),
        user.role,
        record.session_id,
        ttl_s=ttl,
        profile=profile,
    )
    return TokenPair(access, refresh_token, ttl, record.session_id)


def login(
    session: Session,
    email: str,
    password: str,
    *,
    ip: str | None,
    user_agent: str | None,
    otp: str | None = None,
) -> TokenPair:
    user = users.authenticate(session, email, password, ip=ip, user_agent=user_agent, otp=otp)
    record, refresh_token = refresh.start(
        saved_id(user),
        "api",
        ip,
        user_agent,
        second_factor=user.totp_enabled_at is not None,  # authenticate checked the code
    )
    return _pair(session, user, record, refresh_token)


def web_login(
    session: Session,
    email: str,
    password: str,
    *,
    ip: str | None,
    user_agent: str | None,
    otp: str | None = None,
) -> WebLogin:
    """A browser session: the cookie is an opaque random value naming a server-side session.

    Nothing in it can be read or verified without the store, so revoking the record is the
    whole of signing out (see `refresh.web_session`).
    """
    user = users.authenticate(session, email, password, ip=ip, user_agent=user_agent, otp=otp)
    _, credential = refresh.start(
        saved_id(user),
        "web",
        ip,
        user_agent,
        second_factor=user.totp_enabled_at is not None,  # authenticate checked the code
    )
    return WebLogin(credential, user)


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
        if rejected.expired and rejected.session is not None:
            expired = rejected.session
            audit.record(
                session,
                Actor(
                    user_id=expired.user_id,
                    role=None,
                    label=f"user:{expired.user_id}",
                    ip=ip,
                    user_agent=user_agent,
                ),
                "auth.refresh_family_expired",
                "session",
                expired.session_id,
                {"started": expired.created_at},
            )
            session.commit()
        raise AuthenticationFailed(str(rejected)) from None
    user = users.active_user(session, record.user_id)
    if user is None:
        refresh.revoke(record)
        raise AuthenticationFailed("This account is no longer active.")
    return _pair(session, user, record, new_token)


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


@dataclass(frozen=True)
class VerifiedToken:
    claims: tokens.TokenClaims
    actor: Actor
    # The token's session was opened with password and authenticator code (or enrolled one).
    # None when the session store could not be read.
    second_factor: bool | None = None


async def verify_api_token(token: str, *, ip: str | None, user_agent: str | None) -> VerifiedToken:
    """The API's per-request check: no database row and at most ONE store round trip.

    The signature, audience and expiry are checked in memory; the one round trip reads the
    session record (so a sign-out, a revoked session, a deactivation or a role change, which
    all revoke the user's sessions, ends it) and the token's own revocation marker, and counts
    the caller's rate limit, in the same atomic call. Its answer is then served from memory
    for up to AUTH_CACHE_SECONDS, with the rate limit counted here meanwhile; a session change
    drops it in every worker at once (security/session_cache.py states the bounds). The
    caller's profile comes from the token's claims.
    """
    try:
        claims = tokens.verify(token, audience=tokens.API_AUDIENCE)
    except tokens.InvalidToken:
        raise AuthenticationFailed("The access token is invalid or expired.") from None
    if claims.email is None:  # issued before tokens carried the profile: refresh it
        raise AuthenticationFailed("The access token is outdated; refresh it.")
    second_factor: bool | None = None
    now = time.time()
    counter, window_s = limits.api_principal_bucket(f"user:{claims.user_id}")
    check = session_cache.served(claims.jti, counter, now)
    if check is None:
        # Redis down: the signature and the short expiry still hold; rate limits fail open
        # (nginx's per-address limits still apply). Same policy as the rest of the store.
        with contextlib.suppress(StoreUnavailable):
            check = await _session_check_from_store(claims, counter, window_s, now)
    if check is not None:
        if not check.live:
            raise AuthenticationFailed("This session has been signed out.")
        if check.token_revoked:
            raise AuthenticationFailed("The access token is invalid or expired.")
        second_factor = check.second_factor
        limits.enforce_api_principal(check.count)
    actor = Actor(
        user_id=claims.user_id,
        role=Role(claims.role),
        label=claims.email,
        customer_id=claims.customer_id,
        driver_id=claims.driver_id,
        ip=ip,
        user_agent=user_agent,
    )
    return VerifiedToken(claims, actor, second_factor)


async def _session_check_from_store(
    claims: tokens.TokenClaims, counter: str, window_s: int, now: float
) -> session_cache.SessionCheck:
    """The one round trip: the session record, the token's revocation marker, and the
    caller's rate-limit count (with the requests counted in memory since the last one)."""
    if session_cache.should_listen():  # once per process, off the loop
        await asyncio.to_thread(session_cache.listen)
    asked_at = session_cache.generation()
    current, earlier = session_cache.unsent_requests(counter, now)
    (record, revoked), count = await get_store().get_and_hit(
        (f"session:{claims.session_id}", tokens.revoked_key(claims.jti)),
        counter,
        window_s,
        now,
        hits=current + 1,
        earlier_hits=earlier,
    )
    live, second_factor = refresh.record_state(record)
    check = session_cache.SessionCheck(live, second_factor, revoked is not None, count)
    session_cache.remember(claims.jti, claims.session_id, counter, check, asked_at)
    return check


def logout(session: Session, actor: Actor, claims: tokens.TokenClaims) -> None:
    tokens.revoke(claims)
    record = refresh.load(claims.session_id)
    if record is not None:
        refresh.revoke(record)
    audit.record(session, actor, "auth.logout", "session", claims.session_id)


def web_logout(session: Session, actor: Actor, record: refresh.SessionRecord) -> None:
    """Sign a browser session out: its record is revoked, so its cookie names nothing live."""
    refresh.revoke(record)
    audit.record(session, actor, "auth.logout", "session", record.session_id)


def list_sessions(actor: Actor) -> list[refresh.SessionRecord]:
    require(actor, Action.session_manage)
    # Only signed-in users hold the action; an actor without an account has no sessions.
    return refresh.for_user(actor.user_id) if actor.user_id is not None else []


def revoke_session(session: Session, actor: Actor, session_id: str) -> None:
    require(actor, Action.session_manage)
    record = refresh.load(session_id)
    if record is None or record.revoked or record.user_id != actor.user_id:
        raise NotFound("Session not found.")
    refresh.revoke(record)
    audit.record(session, actor, "auth.session_revoked", "session", session_id)
