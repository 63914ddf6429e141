"""Login sessions: API refresh-token families and browser sessions, opaque and stored hashed.

A refresh token is `<session id>.<secret>`. Each use returns a new secret and retires the
old one; presenting a retired secret means the token was copied, so the whole family (the
session) is revoked. Sessions are indexed per user so they can be listed and revoked.

A browser session's cookie has the same opaque form but never rotates: it is looked up here on
every event (`web_session`), so revoking the record signs the browser out at once. The session
id alone (shown on "My sessions") is not a credential: the secret half is only ever stored
as its SHA-256 digest.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import asdict, dataclass, field
from datetime import datetime

from logistics_ai.kvstore import StoreUnavailable, get_store
from logistics_ai.models import utcnow
from logistics_ai.security import session_cache
from logistics_ai.settings import get_settings

MAX_RETIRED = 50


class RefreshRejected(Exception):
    def __init__(
        self,
        message: str,
        *,
        reuse: bool = False,
        expired: bool = False,
        session: SessionRecord | None = None,
    ):
        super().__init__(message)
        self.reuse = reuse
        self.expired = expired
        self.session = session


@dataclass
class SessionRecord:
    session_id: str
    user_id: int
    kind: str  # "api" or "web"
    created_at: str
    last_used_at: str
    ip: str | None
    user_agent: str | None
    current_hash: str = ""
    retired_hashes: list[str] = field(default_factory=list)
    revoked: bool = False
    # Signed in with password AND authenticator code (or enrolled one during the session).
    # Records written before this field load with False: their holders sign in again.
    second_factor: bool = False


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _ttl() -> int:
    return get_settings().refresh_token_ttl_seconds


def _save(record: SessionRecord) -> None:
    store = get_store()
    store.set(f"session:{record.session_id}", json.dumps(asdict(record)), _ttl())
    store.add_to_set(f"user_sessions:{record.user_id}", record.session_id, _ttl())
    # Every worker answering this session's API checks from memory must ask again.
    session_cache.forget(session_id=record.session_id)


def load(session_id: str) -> SessionRecord | None:
    raw = get_store().get(f"session:{session_id}")
    return SessionRecord(**json.loads(raw)) if raw else None


def start(
    user_id: int,
    kind: str,
    ip: str | None,
    user_agent: str | None,
    *,
    second_factor: bool = False,
) -> tuple[SessionRecord, str]:
    """Open a session; returns it and its first refresh token."""
    now = utcnow().isoformat()
    secret = secrets.token_urlsafe(32)
    record = SessionRecord(
        session_id=secrets.token_urlsafe(16),
        user_id=user_id,
        kind=kind,
        created_at=now,
        last_used_at=now,
        ip=ip,
        user_agent=(user_agent or "")[:200] or None,
        current_hash=_hash(secret),
        second_factor=second_factor,
    )
    _save(record)
    return record, f"{record.session_id}.{secret}"


def too_old(record: SessionRecord) -> bool:
    """Past the absolute lifetime of a sign-in, however recently it was used."""
    started = datetime.fromisoformat(record.created_at)
    return (utcnow() - started).total_seconds() > get_settings().refresh_family_max_age_seconds


def rotate(refresh_token: str, ip: str | None = None) -> tuple[SessionRecord, str]:
    session_id, _, secret = refresh_token.partition(".")
    record = load(session_id) if session_id and secret else None
    # A browser cookie has the same shape; it must not turn into an API token pair.
    if record is None or record.revoked or record.kind != "api":
        raise RefreshRejected("This refresh token is not valid. Sign in again.")
    if too_old(record):
        revoke(record)
        raise RefreshRejected(
            "This sign-in has reached its maximum age. Sign in again.",
            expired=True,
            session=record,
        )
    presented = _hash(secret)
    if presented in record.retired_hashes:
        revoke(record)
        raise RefreshRejected(
            "This refresh token was already used; the session is revoked.",
            reuse=True,
            session=record,
        )
    if not secrets.compare_digest(presented, record.current_hash):
        raise RefreshRejected("This refresh token is not valid. Sign in again.")
    new_secret = secrets.token_urlsafe(32)
    record.retired_hashes = [*record.retired_hashes, presented][-MAX_RETIRED:]
    record.current_hash = _hash(new_secret)
    record.last_used_at = utcnow().isoformat()
    record.ip = ip or record.ip
    _save(record)
    return record, f"{record.session_id}.{new_secret}"


def web_session(credential: str) -> SessionRecord | None:
    """The live browser session a session cookie names, or None (unknown, revoked, expired).

    Raises StoreUnavailable when the store cannot be read: the caller must not treat that as
    a sign-out. A cookie from before opaque sessions (a signed JWT) names no record: its
    holder is simply signed out.
    """
    session_id, _, secret = credential.partition(".")
    if not session_id or not secret or len(credential) > 200:
        return None
    record = load(session_id)
    if record is None or record.revoked or record.kind != "web":
        return None
    if not secrets.compare_digest(_hash(secret), record.current_hash):
        return None
    started = datetime.fromisoformat(record.created_at)
    if (utcnow() - started).total_seconds() > get_settings().session_ttl_seconds:
        return None
    return record


def is_active(session_id: str) -> bool:
    try:
        record = load(session_id)
    except StoreUnavailable:  # Redis down: a valid, unexpired access token keeps reading
        return True
    return record is not None and not record.revoked and not too_old(record)


def record_state(raw: str | None) -> tuple[bool, bool]:
    """(live, opened with a code) of a stored session record as read from the store: present
    and not revoked; proved with an authenticator code. One parse for both (per request)."""
    if raw is None:
        return False, False
    record = json.loads(raw)
    return not record.get("revoked", False), bool(record.get("second_factor", False))


def touch(record: SessionRecord) -> None:
    record.last_used_at = utcnow().isoformat()
    _save(record)


def mark_second_factor(session_id: str) -> None:
    """The session's owner has just proved an authenticator code (enrolment)."""
    record = load(session_id)
    if record is not None and not record.revoked:
        record.second_factor = True
        _save(record)


def revoke(record: SessionRecord) -> None:
    record.revoked = True
    # Keep the revoked record until it would have expired, so reuse is still recognised.
    _save(record)


def for_user(user_id: int) -> list[SessionRecord]:
    store = get_store()
    records = []
    for session_id in store.members(f"user_sessions:{user_id}"):
        record = load(session_id)
        if record is None:
            store.remove_from_set(f"user_sessions:{user_id}", session_id)
        elif not record.revoked:
            records.append(record)
    return sorted(records, key=lambda r: r.last_used_at, reverse=True)
