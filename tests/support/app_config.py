"""Point the app's cached settings, engine and bus at the services of a test."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from logistics_ai import db
from logistics_ai import kvstore as store
from logistics_ai import storage as object_store
from logistics_ai.geo import geocoder
from logistics_ai.realtime import bus
from logistics_ai.security import session_cache
from logistics_ai.services import reference_cache
from logistics_ai.settings import get_settings


def configure(**env: str) -> None:
    for key, value in env.items():
        os.environ[key.upper()] = value
    reset_caches()


@contextmanager
def configured(**env: str) -> Iterator[None]:
    """Set variables for the duration of a block, then restore what was there before."""
    previous = {key.upper(): os.environ.get(key.upper()) for key in env}
    configure(**env)
    try:
        yield
    finally:
        for key, value in previous.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        reset_caches()


def reset_caches() -> None:
    if db.get_engine.cache_info().currsize:
        db.get_engine().dispose()
    get_settings.cache_clear()
    db.get_engine.cache_clear()
    session_cache.reset()  # before the bus it listens on is replaced
    bus.get_bus.cache_clear()
    store.get_store.cache_clear()
    geocoder.get_geocoder.cache_clear()
    object_store.get_store.cache_clear()
    reference_cache.clear_all()
