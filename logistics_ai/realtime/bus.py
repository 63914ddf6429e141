"""Event bus: Redis pub/sub when REDIS_URL is set, an in-process fan-out otherwise.

Services never publish directly: they queue events on the session (`queue_event`), and
`logistics_ai.db.session_scope` publishes them only after the transaction commits, so no
subscriber ever hears about a change that was rolled back.

Redis pub/sub delivers at most once: what is published while a subscriber's connection is
down (a Redis restart, a Sentinel failover) never reaches it. A subscription keeps listening
through such a gap, and says when it is subscribed again (`on_resume`), so the subscriber can
re-read what it may have missed.
"""

from __future__ import annotations

import json
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from functools import lru_cache
from typing import Any, Protocol

from loguru import logger
from redis.client import PubSub
from redis.utils import str_if_bytes
from sqlmodel import Session

from logistics_ai.observability import metrics
from logistics_ai.settings import get_settings

Handler = Callable[[str, dict[str, Any]], None]
# Called (on the listener's thread) when a subscription is back after a gap: events published
# during the gap were missed.
Resumed = Callable[[], None]
_PENDING_KEY = "pending_bus_events"
LISTEN_SLEEP_S = 0.5  # a listener thread's longest read: how soon it notices it was stopped
RECONNECT_PAUSE_S = 1.0
UNSUBSCRIBE_WAIT_S = 2 * (LISTEN_SLEEP_S + RECONNECT_PAUSE_S)
SENT_AT_KEY = "_sent_at"


class EventBus(Protocol):
    def publish(self, channel: str, payload: dict[str, Any]) -> None: ...
    def subscribe(
        self, channel: str, handler: Handler, on_resume: Resumed | None = None
    ) -> Callable[[], None]: ...


class InProcessBus:
    def __init__(self) -> None:
        self._handlers: dict[str, list[Handler]] = defaultdict(list)
        self._lock = threading.Lock()

    def publish(self, channel: str, payload: dict[str, Any]) -> None:
        with self._lock:
            handlers = list(self._handlers.get(channel, ()))
        for handler in handlers:
            try:
                handler(channel, payload)
            except Exception:  # one broken subscriber must not break the publisher
                logger.exception("event handler failed on channel {}", channel)

    def subscribe(
        self, channel: str, handler: Handler, on_resume: Resumed | None = None
    ) -> Callable[[], None]:
        # In-process delivery has no connection to lose: `on_resume` is never called.
        with self._lock:
            self._handlers[channel].append(handler)

        def unsubscribe() -> None:
            with self._lock:
                if handler in self._handlers.get(channel, []):
                    self._handlers[channel].remove(handler)

        return unsubscribe


class RedisBus:
    def __init__(self, url: str, prefix: str) -> None:
        from logistics_ai.redis_client import redis_client

        # Named, so `CLIENT LIST` on the server tells the bus's connections apart.
        self._client = redis_client(url, client_name=prefix.rstrip(":").replace(" ", "_"))
        self._prefix = prefix

    def publish(self, channel: str, payload: dict[str, Any]) -> None:
        # The send time rides along so subscribers can report the bus lag.
        message = {**payload, SENT_AT_KEY: time.time()}
        self._client.publish(self._prefix + channel, json.dumps(message, default=str))

    def subscribe(
        self, channel: str, handler: Handler, on_resume: Resumed | None = None
    ) -> Callable[[], None]:
        pubsub = _Subscription(self._client.connection_pool, on_resume)

        def on_message(message: dict[str, Any]) -> None:
            payload = json.loads(message["data"])
            sent_at = payload.pop(SENT_AT_KEY, None)
            if isinstance(sent_at, int | float):
                metrics.BUS_LAG.labels(channel).observe(max(0.0, time.time() - sent_at))
            handler(channel, payload)

        pubsub.subscribe(**{self._prefix + channel: on_message})
        # A failover or an outage must not end the subscription: log, pause, keep listening
        # (redis-py reconnects and re-subscribes on the next read).
        thread = pubsub.run_in_thread(
            sleep_time=LISTEN_SLEEP_S, daemon=True, exception_handler=_keep_listening
        )

        def unsubscribe() -> None:
            # The listener thread closes its connection itself once its read ends (within
            # `sleep_time`, or the error pause). Closing it from here, mid-read, released the
            # connection to the pool while the thread could still reconnect and re-subscribe
            # on it, and a publisher then got a connection in subscribe mode.
            thread.stop()
            thread.join(timeout=UNSUBSCRIBE_WAIT_S)

        return unsubscribe


class _Subscription(PubSub):
    """A pub/sub connection to one channel that calls `on_resume` each time the server
    confirms the subscription again after the first time: redis-py reconnects and
    re-subscribes by itself after a connection error, silently."""

    def __init__(self, pool: Any, on_resume: Resumed | None) -> None:
        super().__init__(pool, ignore_subscribe_messages=True)
        self._on_resume = on_resume
        self._confirmations = 0

    def handle_message(self, response: Any, ignore_subscribe_messages: bool = False) -> Any:
        # The confirmation is read after the server has processed SUBSCRIBE: from here on,
        # nothing published is missed.
        if isinstance(response, list | tuple) and str_if_bytes(response[0]) == "subscribe":
            self._confirmations += 1
            if self._confirmations > 1 and self._on_resume is not None:
                logger.info("event bus subscription to {} resumed", str_if_bytes(response[1]))
                try:
                    self._on_resume()
                except Exception:  # the subscription itself must go on
                    logger.exception("event bus resume handler failed")
        return super().handle_message(response, ignore_subscribe_messages)


def _keep_listening(error: BaseException, _pubsub: Any, _thread: Any) -> None:
    logger.warning("event bus subscription interrupted ({}); reconnecting", type(error).__name__)
    time.sleep(RECONNECT_PAUSE_S)


@lru_cache(maxsize=1)
def get_bus() -> EventBus:
    settings = get_settings()
    if settings.redis_url:
        return RedisBus(settings.redis_url, settings.redis_key_prefix + "bus:")
    return InProcessBus()


def queue_event(session: Session, channel: str, payload: dict[str, Any]) -> None:
    session.info.setdefault(_PENDING_KEY, []).append((channel, payload))


def publish_committed(session: Session) -> None:
    for channel, payload in session.info.pop(_PENDING_KEY, []):
        try:
            get_bus().publish(channel, payload)
        except Exception:  # the change is committed; a lost notification is logged, not raised
            metrics.BUS_PUBLISH_FAILURES.labels(channel).inc()
            logger.exception("could not publish {} after commit", channel)


def discard_pending(session: Session) -> None:
    session.info.pop(_PENDING_KEY, None)
