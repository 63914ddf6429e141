"""One side of `bench api-ab`: one checkout's API, driven in this process over ASGI.

Started by loadtests/api_ab.py with PYTHONPATH naming the checkout to measure, and the same
database, Redis prefix and secrets as the other side. It signs in, then waits on stdin for
lines `<case> <requests> <concurrency>`; for each, it serves the requests with that many in
flight and prints one JSON line: the process's CPU time per request (all its threads: the
event loop and the worker pool), wall time, and the statuses seen. No HTTP server and no
load generator run here, so the figure is the app's own CPU per request.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
import uuid
from collections import Counter
from typing import Any

Message = dict[str, Any]


async def call(
    app: Any, method: str, target: str, headers: dict[str, str], body: bytes = b""
) -> tuple[int, bytes]:
    path, _, query = target.partition("?")
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()]
        + [(b"content-length", str(len(body)).encode())],
        "client": ("127.0.0.1", 40000),
        "server": ("127.0.0.1", 80),
        "state": {},
    }
    answered = asyncio.Event()
    delivered = False
    status = 0
    chunks: list[bytes] = []

    async def receive() -> Message:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}
        await answered.wait()
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = int(message["status"])
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                answered.set()

    await app(scope, receive, send)
    return status, b"".join(chunks)


class Lifespan:
    """The app's startup and shutdown, as an ASGI server runs them."""

    def __init__(self, app: Any) -> None:
        self.inbox: asyncio.Queue[Message] = asyncio.Queue()
        self.outbox: asyncio.Queue[Message] = asyncio.Queue()
        self.task = asyncio.create_task(
            app(
                {"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}},
                self.inbox.get,
                self.outbox.put,
            )
        )

    async def step(self, name: str) -> None:
        await self.inbox.put({"type": f"lifespan.{name}"})
        answer = await self.outbox.get()
        if answer["type"] != f"lifespan.{name}.complete":
            raise RuntimeError(f"lifespan {name}: {answer}")


async def measure(
    app: Any, case: dict[str, Any], token: str, total: int, concurrency: int, start: int = 0
) -> dict[str, Any]:
    """Serve `total` requests of one case, `concurrency` at a time; CPU and wall per request.

    The requests take the case's paths in turn from `start` (see `run` for a case whose
    paths are each used once)."""
    headers = {"authorization": f"Bearer {token}"}
    body = json.dumps(case["json"]).encode() if "json" in case else b""
    if body:
        headers["content-type"] = "application/json"
    targets = case["paths"]
    statuses: Counter[int] = Counter()
    next_index = 0

    async def user() -> None:
        nonlocal next_index
        while next_index < total:
            index = next_index
            next_index += 1
            sent = headers
            if case.get("idempotent"):  # each action its own key, as the apps send them
                sent = {**headers, "idempotency-key": uuid.uuid4().hex}
            target = targets[(start + index) % len(targets)]
            status, _ = await call(app, case["method"], target, sent, body)
            statuses[status] += 1

    cpu, wall = time.process_time(), time.perf_counter()
    await asyncio.gather(*(user() for _ in range(concurrency)))
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    return {
        "cpu_ms": 1000 * cpu / total,
        "wall_ms": 1000 * wall / total,
        "statuses": {str(k): v for k, v in statuses.items()},
    }


def next_start(case: dict[str, Any], used: int, requests: int) -> int:
    """Where a run of `requests` starts in the case's paths. A case marked `once` (a stop
    event: a stop is picked up once) uses each path once over all runs, never again."""
    if not case.get("once"):
        return 0
    if used + requests > len(case["paths"]):
        raise RuntimeError(f"{len(case['paths'])} paths cannot serve {used + requests} requests")
    return used


def read_spec(argument: str) -> dict[str, Any]:
    """The spec, inline JSON or `@file` (a spec with thousands of paths is longer than one
    command-line argument may be)."""
    if argument.startswith("@"):
        with open(argument[1:], encoding="utf-8") as file:
            return dict(json.load(file))
    return dict(json.loads(argument))


async def run(spec: dict[str, Any]) -> None:
    from logistics_ai.api.app import create_api
    from logistics_ai.observability.logging import configure_logging

    configure_logging()
    app = create_api()
    lifespan = Lifespan(app)
    await lifespan.step("startup")
    tokens = {}
    for role, email in spec["accounts"].items():
        status, body = await call(
            app,
            "POST",
            "/api/v1/auth/token",
            {"content-type": "application/json"},
            json.dumps({"email": email, "password": spec["password"]}).encode(),
        )
        if status != 200:
            raise RuntimeError(f"sign-in as {email}: HTTP {status} {body[:200]!r}")
        tokens[role] = json.loads(body)["access_token"]
    cases = spec["cases"]
    used: dict[str, int] = {}
    print(json.dumps({"ready": True}), flush=True)
    loop = asyncio.get_running_loop()
    while line := await loop.run_in_executor(None, sys.stdin.readline):
        name, requests, concurrency = line.split()
        case = cases[name]
        token = tokens[case["as"]]
        start = next_start(case, used.get(name, 0), int(requests))
        used[name] = start + int(requests)
        result = await measure(app, case, token, int(requests), int(concurrency), start)
        print(json.dumps(result), flush=True)
    await lifespan.step("shutdown")
    await lifespan.task


if __name__ == "__main__":
    asyncio.run(run(read_spec(sys.argv[1])))
