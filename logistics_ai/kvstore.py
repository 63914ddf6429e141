"""A small key-value store with expiry: sessions, revocations, rate limits, plan previews.

Neutral infrastructure (it imports only settings), so security and services both use it.

Redis when REDIS_URL is set (shared by every replica); an in-process dictionary otherwise,
which is right for the single-process embedded default and nothing else.
"""

from __future__ import annotations

import asyncio
import builtins
import functools
import hashlib
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
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
    def hit(self, key: str, window_s: int, now: float) -> WindowCount:
        """Count one event in `key`'s fixed window; return it with the previous window's."""
        ...

    async def get_and_hit(
        self,
        keys: tuple[str, ...],
        counter: str,
        window_s: int,
        now: float,
        *,
        hits: int = 1,
        earlier_hits: int = 0,
    ) -> tuple[list[str | None], WindowCount]:
        """`get` each key and count `hits` events of `counter` in the current window (and
        `earlier_hits` in the previous one: events counted in memory meanwhile, see
        security/session_cache.py), in one round trip (the API's per-request check)."""
        ...


@dataclass(frozen=True)
class WindowCount:
    """Events in the current fixed window and the one before, for a sliding estimate."""

    current: int
    previous: int
    window_s: int
    now: float

    @property
    def elapsed(self) -> float:
        """How far into the current window `now` is, 0..1."""
        return (self.now % self.window_s) / self.window_s

    @property
    def estimate(self) -> float:
        """Events in the sliding window ending now, assuming the previous window's were even."""
        return self.previous * (1 - self.elapsed) + self.current


def _window_keys(key: str, window_s: int, now: float) -> tuple[str, str]:
    index = int(now // window_s)
    return f"{key}:{index}", f"{key}:{index - 1}"


# One atomic round trip: read values (a session record, a revocation marker) and count
# rate-limit events in fixed windows (INCRBY + EXPIRE on first use). The last two KEYS are the
# current and the previous window's counters; ARGV: the counters' lifetime, the events to add
# to the current window, and to the previous one (events a worker counted in memory before
# the window turned); both counts come back.
_GET_AND_HIT = """
local n = #KEYS - 2
local values = {}
for i = 1, n do values[i] = redis.call('GET', KEYS[i]) end
local hits = tonumber(ARGV[2])
local current = redis.call('INCRBY', KEYS[n + 1], hits)
if current == hits then redis.call('EXPIRE', KEYS[n + 1], ARGV[1]) end
local earlier = tonumber(ARGV[3])
local previous
if earlier > 0 then
  previous = redis.call('INCRBY', KEYS[n + 2], earlier)
  if previous == earlier then redis.call('EXPIRE', KEYS[n + 2], ARGV[1]) end
else
  previous = tonumber(redis.call('GET', KEYS[n + 2]) or '0')
end
return {values, current, previous}
"""
_GET_AND_HIT_SHA = hashlib.sha1(_GET_AND_HIT.encode()).hexdigest()  # Redis's script id


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

        self._url = url
        self._redis = redis_client(url, decode_responses=True)
        self._prefix = prefix
        self._down_until = 0.0
        self._async_clients: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()

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
    def hit(self, key: str, window_s: int, now: float) -> WindowCount:
        current, previous = _window_keys(self._k(key), window_s, now)
        pipe = self._redis.pipeline(transaction=True)  # MULTI/EXEC: one atomic round trip
        pipe.incr(current)
        pipe.expire(current, 2 * window_s, nx=True)
        pipe.get(previous)
        count, _, before = pipe.execute()
        return WindowCount(int(count), int(before or 0), window_s, now)

    def _async_client(self) -> Any:
        # redis.asyncio connections belong to one event loop: one client per loop.
        from logistics_ai.redis_client import redis_client

        loop = asyncio.get_running_loop()
        client = self._async_clients.get(loop)
        if client is None:
            client = redis_client(self._url, decode_responses=True, asynchronous=True)
            self._async_clients[loop] = client
        return client

    async def get_and_hit(
        self,
        keys: tuple[str, ...],
        counter: str,
        window_s: int,
        now: float,
        *,
        hits: int = 1,
        earlier_hits: int = 0,
    ) -> tuple[list[str | None], WindowCount]:
        import redis.exceptions

        if time.monotonic() < self._down_until:
            raise StoreUnavailable("redis unavailable (cooling down)")
        current, previous = _window_keys(self._k(counter), window_s, now)
        all_keys = (*(self._k(k) for k in keys), current, previous)
        client = self._async_client()
        try:
            try:
                values, count, before = await client.evalsha(
                    _GET_AND_HIT_SHA, len(all_keys), *all_keys, 2 * window_s, hits, earlier_hits
                )
            except redis.exceptions.NoScriptError:  # Redis restarted or failed over
                values, count, before = await client.eval(
                    _GET_AND_HIT, len(all_keys), *all_keys, 2 * window_s, hits, earlier_hits
                )
        except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError) as error:
            self._down_until = time.monotonic() + COOLDOWN_S
            raise StoreUnavailable(f"redis unavailable: {type(error).__name__}") from error
        return [v or None for v in values], WindowCount(int(count), int(before), window_s, now)


class MemoryStore:
    def __init__(self) -> None:
        self._values: dict[str, tuple[str, float]] = {}
        self._sets: dict[str, tuple[set[str], float]] = {}
        self._counters: dict[str, tuple[int, float]] = {}
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

    def hit(self, key: str, window_s: int, now: float) -> WindowCount:
        return self._count(key, window_s, now, 1, 0)

    def _count(self, key: str, window_s: int, now: float, hits: int, earlier: int) -> WindowCount:
        current, previous = _window_keys(key, window_s, now)
        with self._lock:
            if len(self._counters) > 10_000:  # forget expired windows now and then
                wall = time.time()
                self._counters = {k: v for k, v in self._counters.items() if v[1] > wall}
            expiry = time.time() + 2 * window_s
            count = self._counters.get(current, (0, 0.0))[0] + hits
            self._counters[current] = (count, expiry)
            before = self._counters.get(previous, (0, 0.0))[0]
            if earlier:
                before += earlier
                self._counters[previous] = (before, expiry)
        return WindowCount(count, before, window_s, now)

    async def get_and_hit(
        self,
        keys: tuple[str, ...],
        counter: str,
        window_s: int,
        now: float,
        *,
        hits: int = 1,
        earlier_hits: int = 0,
    ) -> tuple[list[str | None], WindowCount]:
        return [self.get(k) for k in keys], self._count(counter, window_s, now, hits, earlier_hits)


@lru_cache(maxsize=1)
def get_store() -> KeyValueStore:
    settings = get_settings()
    if settings.redis_url:
        return RedisStore(settings.redis_url, settings.redis_key_prefix)
    return MemoryStore()
