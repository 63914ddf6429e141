"""The browser session cookie is an opaque random value looked up server-side (issue 10, item 1).

Real PostgreSQL and Redis: sign in through the service the login route calls, then look at
what the cookie holds, what the store holds, and which credentials are refused.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterator
from datetime import timedelta

import pytest
import redis
from sqlmodel import Session, col, select

from logistics_ai.db import session_scope
from logistics_ai.domain.errors import AuthenticationFailed
from logistics_ai.models import AuditEvent, utcnow
from logistics_ai.security import refresh, tokens
from logistics_ai.services import web_sessions
from tests.support import app_config
from tests.support.api import client
from tests.support.world import PASSWORD, World

EMAIL = "dispatch@test.example.com"


@pytest.fixture
def limits_lifted(world: World) -> Iterator[World]:
    with app_config.configured(rate_limit_auth_per_account="100", rate_limit_auth_per_ip="100"):
        yield world


def _sign_in() -> str:
    with session_scope() as session:
        cookie, _ = web_sessions.sign_in(session, EMAIL, PASSWORD, ip="127.0.0.1", user_agent="t")
        return cookie


def _verify(cookie: str) -> web_sessions.WebUser:
    with session_scope() as session:
        return web_sessions.verify(session, cookie)


def _is_json_segment(segment: str) -> bool:
    try:
        json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except (binascii.Error, ValueError):
        return False
    return True


def test_the_cookie_is_opaque_random_and_stored_only_hashed(
    limits_lifted: World, redis_url: str, redis_prefix: str
) -> None:
    first, second = _sign_in(), _sign_in()
    assert first != second
    session_id, dot, secret = first.partition(".")
    assert dot and "." not in secret
    # 32 random bytes in URL-safe base64: 43 characters, nothing a reader can decode.
    assert len(secret) >= 43
    assert not any(_is_json_segment(part) for part in first.split("."))  # not a JWT
    with pytest.raises(tokens.InvalidToken):
        tokens.verify(first, audience=tokens.WEB_AUDIENCE)

    # The store never holds the secret half; only its digest.
    store = redis.Redis.from_url(redis_url)
    for key in store.scan_iter(f"{redis_prefix}*"):
        if store.type(key) == b"string":
            value = store.get(key)
            assert isinstance(value, bytes | None)
            assert secret.encode() not in (value or b"")
    assert _verify(first).session_id == session_id


def test_forged_and_partial_credentials_are_refused(limits_lifted: World) -> None:
    cookie = _sign_in()
    session_id = cookie.partition(".")[0]
    user_id = limits_lifted.dispatcher.user_id
    assert user_id is not None
    # A cookie of the old kind: a JWT signed with the app's own key, naming a LIVE session.
    old_style = tokens.issue(user_id, "dispatcher", session_id, audience=tokens.WEB_AUDIENCE)
    candidates = [
        "",
        session_id,  # the id alone (it is shown on "My sessions")
        f"{session_id}.",
        f"{session_id}.{'A' * 43}",  # right id, wrong secret
        old_style,
        cookie + "x",
    ]
    for forged in candidates:
        with pytest.raises(AuthenticationFailed):
            _verify(forged)
    assert _verify(cookie).actor.user_id == user_id  # the real one still works


def test_sign_out_revokes_the_session_server_side(limits_lifted: World, session: Session) -> None:
    cookie = _sign_in()
    with session_scope() as db:
        assert web_sessions.sign_out(db, cookie, ip="127.0.0.1", user_agent="t") is True
    with pytest.raises(AuthenticationFailed):
        _verify(cookie)  # a copy of the cookie kept elsewhere is dead too
    with session_scope() as db:
        assert web_sessions.sign_out(db, cookie, ip="127.0.0.1", user_agent="t") is False
    logged_out = session.exec(
        select(AuditEvent).where(col(AuditEvent.action) == "auth.logout")
    ).all()
    assert [row.entity_id for row in logged_out] == [cookie.partition(".")[0]]


def test_a_session_past_its_lifetime_is_refused(limits_lifted: World) -> None:
    cookie = _sign_in()
    record = refresh.load(cookie.partition(".")[0])
    assert record is not None
    with app_config.configured(session_ttl_seconds="300"):
        record.created_at = (utcnow() - timedelta(seconds=301)).isoformat()
        refresh.touch(record)  # saves the backdated record
        with pytest.raises(AuthenticationFailed):
            _verify(cookie)


def test_the_cookie_cannot_be_traded_for_api_tokens(limits_lifted: World) -> None:
    cookie = _sign_in()
    with client() as http:
        answer = http.post("/api/v1/auth/refresh", json={"refresh_token": cookie})
    assert answer.status_code == 401
    assert _verify(cookie).actor.user_id == limits_lifted.dispatcher.user_id  # not rotated away
