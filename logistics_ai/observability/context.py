"""The request context that every log line and span of one request carries.

A middleware opens it per HTTP request (or websocket); code deeper down adds the user once it
is known. The context holds a mutable object so that a dependency running in a worker thread
(which sees a *copy* of the context variables) still updates the request's own record.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
from contextvars import ContextVar, Token
from dataclasses import dataclass, field

from logistics_ai.settings import get_settings


@dataclass
class RequestContext:
    request_id: str
    route: str = ""
    method: str = ""
    user: str = ""  # keyed hash of the user id: correlates lines without naming anyone
    extra: dict[str, str] = field(default_factory=dict)


_current: ContextVar[RequestContext | None] = ContextVar("lai_request_context", default=None)


def current() -> RequestContext | None:
    return _current.get()


def open_context(context: RequestContext) -> Token[RequestContext | None]:
    return _current.set(context)


def close_context(token: Token[RequestContext | None]) -> None:
    _current.reset(token)


def hash_user(user_id: object) -> str:
    """A stable, keyed pseudonym of a user id (HMAC with the secret key, 16 hex chars)."""
    return _pseudonym(get_settings().secret_key, str(user_id))


@functools.lru_cache(maxsize=4096)  # every authenticated request names its user
def _pseudonym(secret_key: str, user_id: str) -> str:
    return hmac.new(secret_key.encode(), user_id.encode(), hashlib.sha256).hexdigest()[:16]


def bind_user(user_id: object | None) -> None:
    """Attach the authenticated user to the current request's log lines (hashed)."""
    context = _current.get()
    if context is not None and user_id is not None:
        context.user = hash_user(user_id)
