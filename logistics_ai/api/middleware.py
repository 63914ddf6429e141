"""Pure-ASGI middleware of the API: load shedding and body limits.

Pure ASGI rather than `@app.middleware("http")`: Starlette's BaseHTTPMiddleware builds a task
group and memory streams per request, which cost about a quarter of an authenticated read's
CPU here. Each class below only wraps `receive`/`send` and adds a few attribute reads.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import weakref
from collections.abc import Callable

import anyio.to_thread
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Probes and metrics must answer even when the API sheds load.
UNSHED_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})


async def send_envelope(
    send: Send, status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> None:
    """The API's error envelope (see api/errors.py), written straight to the ASGI channel."""
    body = json.dumps({"error": {"code": code, "message": message, "details": {}}}).encode()
    raw_headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        *((k.lower().encode(), v.encode()) for k, v in (headers or {}).items()),
    ]
    await send({"type": "http.response.start", "status": status, "headers": raw_headers})
    await send({"type": "http.response.body", "body": body})


class LoadShedMiddleware:
    """Answers 503 + Retry-After at once when a worker already has `max_in_flight` API requests.

    Beyond capacity a queue only adds latency for everyone; a fast refusal lets clients and
    the proxy retry elsewhere or later. The same middleware sizes anyio's worker thread
    limiter (Starlette's sync dependencies and file responses, the API-key check; the units
    of work have their own executor, api/deps.py) on first use, inside the running loop.
    """

    def __init__(self, app: ASGIApp, max_in_flight: int, threads: int) -> None:
        self.app = app
        self.max_in_flight = max_in_flight
        self.threads = threads
        self.in_flight = 0
        # The loops whose default thread limiter (anyio keeps one per loop) has been sized.
        # Asked by loop rather than by limiter: getting the limiter costs more than the check.
        self._sized_loops: weakref.WeakSet[asyncio.AbstractEventLoop] = weakref.WeakSet()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in UNSHED_PATHS:
            await self.app(scope, receive, send)
            return
        loop = asyncio.get_running_loop()
        if loop not in self._sized_loops:
            anyio.to_thread.current_default_thread_limiter().total_tokens = self.threads
            self._sized_loops.add(loop)
        if self.in_flight >= self.max_in_flight:
            await send_envelope(
                send,
                503,
                "overloaded",
                "The server is busy. Retry shortly.",
                {"Retry-After": "1"},
            )
            return
        self.in_flight += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight -= 1


class BodyTooLarge(Exception):
    pass


class BodyLimitMiddleware:
    """Refuses API bodies over the limit with 413, counting the bytes actually received.

    A declared Content-Length over the limit is refused before reading; a chunked (or lying)
    body is refused as soon as the running count passes the limit, so it is never read whole.
    """

    def __init__(self, app: ASGIApp, limit_for: Callable[[str], int]) -> None:
        self.app = app
        self.limit_for = limit_for

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # Reflex's own routes (e.g. /_upload) set their own limits.
        if scope["type"] != "http" or not scope["path"].startswith("/api/"):
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        message = f"The request body is larger than {limit // 1024} KiB."
        for name, value in scope["headers"]:
            if name == b"content-length" and value.isdigit() and int(value) > limit:
                await send_envelope(send, 413, "payload_too_large", message)
                return
        received = 0
        refused = False
        started = False

        async def counting_receive() -> Message:
            nonlocal received, refused
            incoming = await receive()
            if incoming["type"] == "http.request":
                received += len(incoming.get("body", b""))
                if received > limit:
                    refused = True
                    raise BodyTooLarge
            return incoming

        async def guarded_send(outgoing: Message) -> None:
            nonlocal started
            if refused:  # the app's answer to the aborted read is replaced by the 413
                return
            started = started or outgoing["type"] == "http.response.start"
            await send(outgoing)

        with contextlib.suppress(BodyTooLarge):  # raised by counting_receive, answered below
            await self.app(scope, counting_receive, guarded_send)
        if refused and not started:
            await send_envelope(send, 413, "payload_too_large", message)
