"""Per-worker caches of small reference tables, invalidated when their rows change.

A booking read every depot (the service area) and every active webhook subscription, two
round trips of eleven, for rows that change a few times a year or a day. `ReferenceCache`
keeps the loaded value per process, keyed by database:

- **Explicit invalidation in this process**: any ORM flush that adds, changes or deletes a
  row of a watched model (the services, the seed, the webhook sender disabling an endpoint)
  clears the cache at once and again when that transaction commits or rolls back, so a value
  read inside the writing transaction (its own uncommitted rows) never outlives it.
- **Other workers and replicas** see a change after at most `ttl_s` (the cache's bound, see
  docs/performance.md "Round 3"). Writes outside the ORM (SQL by hand, migrations) too.
- **No stale refill**: a load that started before an invalidation is not stored (a
  generation counter), so a slow reader cannot put the old rows back.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import event
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session

Value = TypeVar("Value")
_DIRTY_KEY = "reference_caches_changed"
_caches: list[ReferenceCache[Any]] = []


@dataclass(frozen=True)
class _Entry(Generic[Value]):
    value: Value
    expires: float


class ReferenceCache(Generic[Value]):
    def __init__(
        self,
        name: str,
        models: tuple[type, ...],
        ttl_s: float,
        load: Callable[[Session], Value],
    ) -> None:
        self.name = name
        self.models = models
        self.ttl_s = ttl_s
        self._load = load
        self._entries: dict[str, _Entry[Value]] = {}
        self._generation = 0
        self._lock = threading.Lock()
        _caches.append(self)

    def get(self, session: Session) -> Value:
        """The cached value for the session's database, loaded through `session` if needed."""
        key = str(session.get_bind().engine.url)
        entry = self._entries.get(key)
        now = time.monotonic()
        if entry is not None and entry.expires > now:
            return entry.value
        generation = self._generation
        value = self._load(session)
        with self._lock:
            if generation == self._generation:
                self._entries[key] = _Entry(value, now + self.ttl_s)
        return value

    def invalidate(self) -> None:
        with self._lock:
            self._generation += 1
            self._entries.clear()


def clear_all() -> None:
    """Forget every cached value (tests that empty tables outside the ORM call it)."""
    for cache in _caches:
        cache.invalidate()


@event.listens_for(OrmSession, "after_flush")
def _changed(session: OrmSession, _context: Any) -> None:
    changed = session.new | session.dirty | session.deleted
    if not changed:
        return
    for cache in _caches:
        if any(isinstance(row, cache.models) for row in changed):
            cache.invalidate()
            session.info.setdefault(_DIRTY_KEY, set()).add(cache)


@event.listens_for(OrmSession, "after_commit")
@event.listens_for(OrmSession, "after_rollback")
def _transaction_ended(session: OrmSession) -> None:
    for cache in session.info.pop(_DIRTY_KEY, ()):
        cache.invalidate()
