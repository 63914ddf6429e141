"""A per-process mirror of the API's per-request session check.

Every authenticated API request must know that its token's session is still live (not signed
out, revoked, or ended by a role change or a deactivation), whether it was opened with a
second factor, whether the token itself was revoked, and the caller's rate-limit count. Asked
of the store, that is one Redis round trip per request (`kvstore.get_and_hit`), ~15-19% of an
authenticated read's CPU (docs/performance.md, Round 7). This module keeps the answer per token
for `AUTH_CACHE_SECONDS` and meanwhile counts the caller's requests in memory; the token's next
round trip adds them to the store's counters.

The bounds (docs/security.md, "Sessions"):

- **Revocation.** Every change of a session record (`refresh._save`: sign-out, revocation,
  role change, deactivation, second factor) and every revoked token (`tokens.revoke`) drops
  the entries concerned at once in the process that made it, and is published on the event
  bus; every process's subscriber drops its own within milliseconds. A process that missed the
  message (the bus down, a subscription gap) serves an entry at most `AUTH_CACHE_SECONDS`
  after the change, and a subscription that comes back after a gap drops every entry.
- **Rate limits.** Exact within one process. Across N processes, a principal can exceed its
  limit by at most what the other N - 1 admit within one `AUTH_CACHE_SECONDS`: each sees the
  others' counts at its next round trip.

`AUTH_CACHE_SECONDS=0` turns the mirror off: one round trip per request.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from loguru import logger

from logistics_ai.kvstore import WindowCount
from logistics_ai.observability import metrics
from logistics_ai.realtime.bus import EventBus, get_bus
from logistics_ai.settings import get_settings

AUTH_CHANNEL = "auth"
MAX_ENTRIES = 10_000  # tokens per process; beyond, the mirror starts over


@dataclass(frozen=True)
class SessionCheck:
    """What the store said about a token at its last round trip (plus this request's count)."""

    live: bool  # the session record exists and is not revoked
    second_factor: bool  # the session was opened with an authenticator code
    token_revoked: bool  # the token's own revocation marker (signed out with this token)
    count: WindowCount  # the caller's rate-limit windows, this request included


@dataclass
class _Entry:
    session_id: str
    check: SessionCheck  # its count is not used: the caller's is in _counts
    fresh_until: float  # time.monotonic()


@dataclass
class _Count:
    stored: WindowCount  # the caller's windows as the store counted them at the last round trip
    unsent: int = 0  # requests counted here since, in `stored`'s window, not yet in the store


_entries: dict[str, _Entry] = {}  # by token id (jti)
# By rate-limit counter (the caller, whichever of its tokens it uses): exact in this process.
_counts: dict[str, _Count] = {}
# Bumped by every drop: an answer the store gave before a drop is not remembered after it.
_generation = 0
# Held for every change of the dicts' sizes (the bus listener's thread drops entries while
# the event loop reads them).
_lock = threading.Lock()
_subscription: tuple[EventBus, Callable[[], None]] | None = None
_FROM_MEMORY = metrics.AUTH_SESSION_CHECKS.labels("memory")
_FROM_STORE = metrics.AUTH_SESSION_CHECKS.labels("store")


def _window(count: WindowCount, now: float) -> int:
    return int(now // count.window_s)


def served(jti: str, counter: str, now: float) -> SessionCheck | None:
    """The token's check from memory, with this request counted; None: ask the store."""
    entry = _entries.get(jti)
    if entry is None or time.monotonic() >= entry.fresh_until:
        return None
    count = _counts.get(counter)
    if count is None or _window(count.stored, now) != _window(count.stored, count.stored.now):
        return None  # the rate-limit window turned: the store has the other workers' counts
    count.unsent += 1
    _FROM_MEMORY.inc()
    stored = count.stored
    return replace(
        entry.check,
        count=WindowCount(stored.current + count.unsent, stored.previous, stored.window_s, now),
    )


def unsent_requests(counter: str, now: float) -> tuple[int, int]:
    """The caller's requests counted here since its last round trip, handed over to the round
    trip being made now: (for the current window, for the previous one)."""
    count = _counts.get(counter)
    if count is None or not count.unsent:
        return 0, 0
    unsent, count.unsent = count.unsent, 0
    counted_in, current = _window(count.stored, count.stored.now), _window(count.stored, now)
    if counted_in == current:
        return unsent, 0
    if counted_in == current - 1:
        return 0, unsent
    return 0, 0  # older than both windows: no longer counts


def generation() -> int:
    """Take before asking the store; give to `remember` with the answer."""
    return _generation


def remember(
    jti: str, session_id: str, counter: str, check: SessionCheck, asked_at_generation: int
) -> None:
    """Keep the store's answer for the token, unless something was dropped meanwhile or this
    process does not hear the others' changes yet (`listen`)."""
    _FROM_STORE.inc()
    ttl_s = get_settings().auth_cache_seconds
    if ttl_s <= 0 or not listening():
        return
    with _lock:
        if len(_counts) >= MAX_ENTRIES:
            _counts.clear()
        # Requests served from memory while the store was asked are not in its count yet.
        unsent = _counts[counter].unsent if counter in _counts else 0
        _counts[counter] = _Count(check.count, unsent)
        if _generation != asked_at_generation:  # a revocation may have landed after the read
            return
        if len(_entries) >= MAX_ENTRIES:
            _entries.clear()
        _entries[jti] = _Entry(session_id, check, time.monotonic() + ttl_s)


def forget(*, session_id: str | None = None, jti: str | None = None) -> None:
    """A session record changed or a token was revoked: drop what this process holds for it
    and tell the other processes."""
    _drop(session_id, jti)
    if get_settings().auth_cache_seconds <= 0:
        return
    try:
        get_bus().publish(AUTH_CHANNEL, {"session_id": session_id, "jti": jti})
    except Exception:  # the entries elsewhere still expire within AUTH_CACHE_SECONDS
        metrics.BUS_PUBLISH_FAILURES.labels(AUTH_CHANNEL).inc()
        logger.warning("could not publish a session change; other workers catch up on expiry")


def _drop(session_id: str | None, jti: str | None) -> None:
    global _generation
    with _lock:
        _generation += 1
        if jti is not None:
            _entries.pop(jti, None)
        if session_id is not None:
            for key in [k for k, entry in _entries.items() if entry.session_id == session_id]:
                del _entries[key]


def _drop_all() -> None:
    global _generation
    with _lock:
        _generation += 1
        _entries.clear()
        _counts.clear()


def _on_message(_channel: str, payload: dict[str, Any]) -> None:
    _drop(payload.get("session_id"), payload.get("jti"))


def listening() -> bool:
    """This process hears the other processes' session changes (on the current bus)."""
    return _subscription is not None and _subscription[0] is get_bus()


def should_listen() -> bool:
    """The mirror is on and does not hear the other processes yet: call `listen` first."""
    return get_settings().auth_cache_seconds > 0 and not listening()


def listen() -> None:
    """Subscribe to the other processes' session changes (once per bus: tests make new ones).

    Blocking (Redis SUBSCRIBE and a listener thread): call it off the event loop.
    """
    global _subscription
    bus = get_bus()
    with _lock:
        if _subscription is not None and _subscription[0] is bus:
            return
        unsubscribe = bus.subscribe(AUTH_CHANNEL, _on_message, _drop_all)
        previous, _subscription = _subscription, (bus, unsubscribe)
    if previous is not None:  # another configuration (tests): its answers do not hold here
        previous[1]()
        _drop_all()


def reset() -> None:
    """Forget every entry and stop listening (tests, between configurations)."""
    global _subscription
    with _lock:
        previous, _subscription = _subscription, None
    if previous is not None:
        previous[1]()
    _drop_all()
