"""The pure-ASGI middleware, driven through the ASGI protocol itself (no HTTP server needed)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import anyio.to_thread

from logistics_ai.api.middleware import BodyLimitMiddleware, LoadShedMiddleware

LIMIT = 1000


def http_scope(path: str = "/api/v1/shipments", headers: list[tuple[bytes, bytes]] | None = None):
    return {
        "type": "http",
        "method": "POST",
        "path": path,
        "headers": headers or [],
        "query_string": b"",
    }


class Recorder:
    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []

    async def __call__(self, message: dict[str, Any]) -> None:
        self.messages.append(message)

    @property
    def status(self) -> int:
        return next(m["status"] for m in self.messages if m["type"] == "http.response.start")

    @property
    def headers(self) -> dict[bytes, bytes]:
        start = next(m for m in self.messages if m["type"] == "http.response.start")
        return dict(start["headers"])

    @property
    def body(self) -> dict[str, Any]:
        return json.loads(b"".join(m.get("body", b"") for m in self.messages[1:]))


async def reading_app(scope, receive, send) -> None:  # type: ignore[no-untyped-def]
    """An app that reads its whole body, then answers 200 with the byte count."""
    size = 0
    while True:
        message = await receive()
        size += len(message.get("body", b""))
        if not message.get("more_body"):
            break
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": json.dumps({"size": size}).encode()})


def chunks(count: int, size: int) -> tuple[Any, list[int]]:
    served: list[int] = []

    async def receive() -> dict[str, Any]:
        served.append(1)
        return {"type": "http.request", "body": b"x" * size, "more_body": len(served) < count}

    return receive, served


def run(app: Any, scope: dict[str, Any], receive: Any) -> Recorder:
    recorder = Recorder()
    asyncio.run(app(scope, receive, recorder))
    return recorder


def test_a_chunked_body_over_the_limit_is_refused_without_reading_the_rest() -> None:
    app = BodyLimitMiddleware(reading_app, limit_for=lambda _path: LIMIT)
    receive, served = chunks(count=100, size=300)  # 30 kB offered, no Content-Length
    answer = run(app, http_scope(), receive)
    assert answer.status == 413
    assert answer.body["error"]["code"] == "payload_too_large"
    assert len(served) == 4  # the fourth chunk crossed 1000 bytes; the other 96 were never read


def test_a_declared_length_over_the_limit_is_refused_before_reading() -> None:
    app = BodyLimitMiddleware(reading_app, limit_for=lambda _path: LIMIT)
    receive, served = chunks(count=1, size=10)
    answer = run(app, http_scope(headers=[(b"content-length", b"5000")]), receive)
    assert answer.status == 413
    assert served == []


def test_a_body_within_the_limit_reaches_the_app_whole() -> None:
    app = BodyLimitMiddleware(reading_app, limit_for=lambda _path: LIMIT)
    receive, _ = chunks(count=3, size=300)
    answer = run(app, http_scope(), receive)
    assert answer.status == 200 and answer.body == {"size": 900}


def test_non_api_paths_keep_their_own_limits() -> None:
    app = BodyLimitMiddleware(reading_app, limit_for=lambda _path: LIMIT)
    receive, _ = chunks(count=10, size=300)
    assert run(app, http_scope("/_upload"), receive).status == 200


def test_beyond_max_in_flight_requests_get_503_with_retry_after_at_once() -> None:
    release = asyncio.Event()
    started = asyncio.Event()

    async def slow_app(scope, receive, send) -> None:  # type: ignore[no-untyped-def]
        started.set()
        await release.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})

    shed = LoadShedMiddleware(slow_app, max_in_flight=1, threads=4)

    async def scenario() -> tuple[Recorder, Recorder, Recorder]:
        first, second, third = Recorder(), Recorder(), Recorder()
        receive, _ = chunks(count=1, size=0)
        holder = asyncio.create_task(shed(http_scope(), receive, first))
        await started.wait()
        # The second request is answered while the first is still in progress.
        await asyncio.wait_for(shed(http_scope(), receive, second), timeout=0.5)
        release.set()
        await holder
        await shed(http_scope(), receive, third)  # capacity is back
        return first, second, third

    first, second, third = asyncio.run(scenario())
    assert first.status == 200
    assert second.status == 503 and second.headers[b"retry-after"] == b"1"
    assert second.body["error"]["code"] == "overloaded"
    assert third.status == 200


def test_probes_are_never_shed() -> None:
    release = asyncio.Event()

    async def app(scope, receive, send) -> None:  # type: ignore[no-untyped-def]
        if scope["path"] != "/healthz":
            await release.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})

    shed = LoadShedMiddleware(app, max_in_flight=1, threads=4)

    async def scenario() -> Recorder:
        receive, _ = chunks(count=1, size=0)
        busy = asyncio.create_task(shed(http_scope(), receive, Recorder()))
        await asyncio.sleep(0)
        probe = Recorder()
        await shed(http_scope("/healthz"), receive, probe)
        release.set()
        await busy
        return probe

    assert asyncio.run(scenario()).status == 200


def test_the_worker_thread_pool_is_sized_in_every_event_loop() -> None:
    # anyio keeps one default thread limiter per event loop (40 threads unless sized); the
    # middleware sizes it on each loop's first API request, and only then.
    async def app(scope, receive, send) -> None:  # type: ignore[no-untyped-def]
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})

    shed = LoadShedMiddleware(app, max_in_flight=10, threads=7)

    async def scenario(resize_to: int | None) -> tuple[int, int]:
        limiter = anyio.to_thread.current_default_thread_limiter()
        before = int(limiter.total_tokens)
        receive, _ = chunks(count=1, size=0)
        await shed(http_scope(), receive, Recorder())
        if resize_to is not None:  # someone resizes it afterwards: not undone per request
            limiter.total_tokens = resize_to
            await shed(http_scope(), receive, Recorder())
        return before, int(limiter.total_tokens)

    assert asyncio.run(scenario(None)) == (40, 7)
    assert asyncio.run(scenario(9)) == (40, 9)  # a new loop: sized again, then left alone
