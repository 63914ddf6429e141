"""The one place Redis clients are made: direct from REDIS_URL, or through Redis Sentinel.

With REDIS_SENTINELS set, every client (the key-value store, the event bus, the readiness
probe and Reflex's state manager) asks the Sentinels for the current primary and follows a
failover by itself: a connection error or a READONLY reply (an old primary demoted to
replica) makes redis-py re-discover the primary, and the retry policy below re-runs the
command once it is back. REDIS_URL still carries the password and the database number.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote, urlparse

from logistics_ai.settings import get_settings

# Short timeouts: a dead Redis must not hold a request for long (reads degrade instead).
SOCKET_TIMEOUT_S = 2.0
CONNECT_TIMEOUT_S = 1.0
# Retries span a Sentinel failover (about 2-5 s from "primary down" to "replica promoted").
RETRIES = 6


def _sentinel_hosts(value: str) -> list[tuple[str, int]]:
    hosts = []
    for item in value.split(","):
        host, _, port = item.strip().rpartition(":")
        hosts.append((host or "127.0.0.1", int(port or 26379)))
    return hosts


def _common_options(asynchronous: bool) -> dict[str, Any]:
    if asynchronous:
        from redis.asyncio.retry import Retry
    else:
        # The sync and asyncio Retry classes share one interface but not one type.
        from redis.retry import Retry  # type: ignore[assignment]
    from redis.backoff import ExponentialBackoff
    from redis.exceptions import ConnectionError, TimeoutError

    return {
        "socket_timeout": SOCKET_TIMEOUT_S,
        "socket_connect_timeout": CONNECT_TIMEOUT_S,
        "health_check_interval": 15,
        "retry": Retry(ExponentialBackoff(cap=1.0, base=0.1), RETRIES),
        "retry_on_error": [ConnectionError, TimeoutError],
    }


def redis_client(
    url: str | None = None,
    *,
    decode_responses: bool = False,
    asynchronous: bool = False,
    client_name: str | None = None,
) -> Any:
    """A redis-py client (sync or asyncio) for the configured Redis or Sentinel group.

    `client_name` names its connections on the server (`CLIENT LIST` shows what each is)."""
    settings = get_settings()
    url = url or settings.redis_url
    if not url:
        raise RuntimeError("REDIS_URL is not set")
    options = _common_options(asynchronous)
    if client_name:
        options["client_name"] = client_name
    if not settings.redis_sentinels:
        module = _module(asynchronous)
        return module.Redis.from_url(url, decode_responses=decode_responses, **options)
    parsed = urlparse(url)
    database = int((parsed.path or "/0").lstrip("/") or 0)
    password = unquote(parsed.password) if parsed.password else None
    username = unquote(parsed.username) if parsed.username else None
    sentinel_module = _sentinel_module(asynchronous)
    sentinel = sentinel_module.Sentinel(
        _sentinel_hosts(settings.redis_sentinels),
        sentinel_kwargs={"socket_timeout": 1.0, "socket_connect_timeout": 1.0},
    )
    return sentinel.master_for(
        settings.redis_sentinel_master,
        db=database,
        username=username,
        password=password,
        decode_responses=decode_responses,
        **options,
    )


def _module(asynchronous: bool) -> Any:
    if asynchronous:
        import redis.asyncio as module
    else:
        import redis as module  # type: ignore[no-redef]  # one name, either flavour
    return module


def _sentinel_module(asynchronous: bool) -> Any:
    if asynchronous:
        import redis.asyncio.sentinel as module
    else:
        import redis.sentinel as module  # type: ignore[no-redef]  # one name, either flavour
    return module


def patch_reflex_for_sentinel() -> None:
    """Reflex 0.10 builds its state-manager clients from REDIS_URL alone (no Sentinel support
    yet: reflex-dev/reflex#5830). With Sentinels configured, hand it ours instead."""
    if not get_settings().redis_sentinels:
        return
    from reflex.utils import prerequisites

    prerequisites.get_redis = lambda: redis_client(asynchronous=True)
    prerequisites.get_redis_sync = lambda: redis_client()
