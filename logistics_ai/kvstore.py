"""A small key-value store with expiry: sessions, revocations, rate limits, plan previews.

Neutral infrastructure (it imports only settings), so security and services both use it.

Redis when REDIS_URL is set (shared by every replica); an in-process dictionary otherwise,
which is right for the single-process embedded default and nothing else.
"""

from __future__ import annotations

import builtins
import functools
import threading
import time
from collections.abc import Callable
from functools import lru_cache
from typing import Any, Protocol, TypeVar

from logistics_ai.settings import get_settings

T = TypeVar("T")


class KeyValueStore(Protocol):
    def get(self, key: str) -> str | None: ...
    def set(self, key: str, value: str, ttl_s: int) -> None: ...
    def delete(self, key: str) -> None: ...
    def add_to_set(self, key: str, member: str, ttl_s: int) -> None: ...
    def members(self, key: str) -> builtins.set[str]: ...
    def remove_from_set(self, key: str, member: str) -> None: ...
    def hit(self, key: str, window_s: int, now: float) -> tuple[int, float]:
        """Record one event; return (events in the sliding window, oldest event's time)."""
        ...


class StoreUnavailable(RuntimeError):
    """Redis cannot be reached (down, or failing over beyond the client's retries).

    Callers that only *read* a safety check (rate limits, revocations, session liveness of an
    otherwise valid token) degrade instead of failing; writes surface it as a 503.
    """


# After a failed call, calls fail fast for this long instead of each waiting out the retries.
COOLDOWN_S = 3.0


def _guarded(method: Callable[..., T]) -> Callable[..., T]:
    @functools.wraps(method)
    def call(self: RedisStore, *args: Any, **kwargs: Any) -> T:
        from redis.exceptions import ConnectionError, TimeoutError

        if time.monotonic() < self._down_until:
            raise StoreUnavailable("redis unavailable (cooling down)")
        try:
            return method(self, *args, **kwargs)
        except (ConnectionError, TimeoutError) as error:
            self._down_until = time.monotonic() + COOLDOWN_S
            raise StoreUnavailable(f"redis unavailable: {type(error).__name__}") from error

    return call


class RedisStore:
    def __init__(self, url: str, prefix: str) -> None:
        from logistics_ai.redis_client import redis_client

        self._redis = redis_client(url, decode_responses=True)
        self._prefix = prefix
        self._down_until = 0.0

    def _k(self, key: str) -> str:
        return self._prefix + key

    @_guarded
    def get(self, key: str) -> str | None:
        return self._redis.get(self._k(key))

    @_guarded
    def set(self, key: str, value: str, ttl_s: int) -> None:
        self._redis.set(self._k(key), value, ex=max(1, ttl_s))

    @_guarded
    def delete(self, key: str) -> None:
        self._redis.delete(self._k(key))

    @_guarded
    def add_to_set(self, key: str, member: str, ttl_s: int) -> None:
        pipe = self._redis.pipeline()
        pipe.sadd(self._k(key), member)
        pipe.expire(self._k(key), max(1, ttl_s))
        pipe.execute()

    @_guarded
    def members(self, key: str) -> builtins.set[str]:
        return set(self._redis.smembers(self._k(key)))

    @_guarded
    def remove_from_set(self, key: str, member: str) -> None:
        self._redis.srem(self._k(key), member)

    @_guarded
    def hit(self, key: str, window_s: int, now: float) -> tuple[int, float]:
        # Sliding-window log in a sorted set: exact, and one round trip per request.
        k = self._k(key)
        member = f"{now:.6f}:{time.perf_counter_ns()}"
        pipe = self._redis.pipeline()
        pipe.zremrangebyscore(k, 0, now - window_s)
        pipe.zadd(k, {member: now})
        pipe.zcard(k)
        pipe.zrange(k, 0, 0, withscores=True)
        pipe.expire(k, window_s + 1)
        _, _, count, oldest, _ = pipe.execute()
        return int(count), float(oldest[0][1]) if oldest else now


class MemoryStore:
    def __init__(self) -> None:
        self._values: dict[str, tuple[str, float]] = {}
        self._sets: dict[str, tuple[set[str], float]] = {}
        self._windows: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> str | None:
        with self._lock:
            item = self._values.get(key)
            if item is None or item[1] < time.time():
                self._values.pop(key, None)
                return None
            return item[0]

    def set(self, key: str, value: str, ttl_s: int) -> None:
        with self._lock:
            self._values[key] = (value, time.time() + ttl_s)

    def delete(self, key: str) -> None:
        with self._lock:
            self._values.pop(key, None)

    def add_to_set(self, key: str, member: str, ttl_s: int) -> None:
        with self._lock:
            members, _ = self._sets.get(key, (set(), 0.0))
            members.add(member)
            self._sets[key] = (members, time.time() + ttl_s)

    def members(self, key: str) -> builtins.set[str]:
        with self._lock:
            item = self._sets.get(key)
            if item is None or item[1] < time.time():
                self._sets.pop(key, None)
                return set()
            return set(item[0])

    def remove_from_set(self, key: str, member: str) -> None:
        with self._lock:
            if key in self._sets:
                self._sets[key][0].discard(member)

    def hit(self, key: str, window_s: int, now: float) -> tuple[int, float]:
        with self._lock:
            events = [t for t in self._windows.get(key, []) if t > now - window_s]
            events.append(now)
            self._windows[key] = events
            return len(events), events[0]


@lru_cache(maxsize=1)
def get_store() -> KeyValueStore:
    settings = get_settings()
    if settings.redis_url:
        return RedisStore(settings.redis_url, settings.redis_key_prefix)
    return MemoryStore()
