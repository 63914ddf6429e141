"""`bench api-ab`'s ASGI driver: requests reach the app as a server would send them."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from loadtests.api_ab_side import Lifespan, call, measure, next_start, read_spec

started: list[str] = []


@asynccontextmanager
async def lifespan(_app: Starlette) -> AsyncIterator[None]:
    started.append("up")
    yield
    started.append("down")


async def echo(request: Request) -> JSONResponse:
    return JSONResponse(
        {
            "path": request.url.path,
            "query": request.query_params.get("q"),
            "auth": request.headers.get("authorization"),
            "key": request.headers.get("idempotency-key"),
            "body": (await request.body()).decode(),
        },
        status_code=201 if request.method == "POST" else 200,
    )


app = Starlette(routes=[Route("/echo", echo, methods=["GET", "POST"])], lifespan=lifespan)


def test_a_request_carries_its_path_query_headers_and_body() -> None:
    async def scenario() -> tuple[int, bytes, int, bytes]:
        got = await call(app, "GET", "/echo?q=x", {"Authorization": "Bearer t"})
        posted = await call(app, "POST", "/echo", {}, b'{"a": 1}')
        return (*got, *posted)

    status, body, post_status, post_body = asyncio.run(scenario())
    assert status == 200
    assert json.loads(body) == {
        "path": "/echo",
        "query": "x",
        "auth": "Bearer t",
        "key": None,
        "body": "",
    }
    assert post_status == 201
    assert json.loads(post_body)["body"] == '{"a": 1}'


def test_the_lifespan_runs_and_every_request_is_counted() -> None:
    async def scenario() -> dict:
        span = Lifespan(app)
        await span.step("startup")
        case = {"method": "GET", "paths": ["/echo", "/missing"]}
        result = await measure(app, case, "token", total=10, concurrency=3)
        await span.step("shutdown")
        await span.task
        return result

    started.clear()
    result = asyncio.run(scenario())
    assert started == ["up", "down"]
    # The paths alternate: five answered, five not found, none lost or repeated.
    assert result["statuses"] == {"200": 5, "404": 5}
    assert result["cpu_ms"] > 0


def test_an_idempotent_case_sends_each_request_its_own_key() -> None:
    keys: list[str | None] = []

    async def remember(request: Request) -> JSONResponse:
        keys.append(request.headers.get("idempotency-key"))
        return JSONResponse({})

    keyed = Starlette(routes=[Route("/gps", remember, methods=["POST"])])
    case = {"method": "POST", "paths": ["/gps"], "json": {"pings": []}, "idempotent": True}
    result = asyncio.run(measure(keyed, case, "token", total=6, concurrency=2))
    assert result["statuses"] == {"200": 6}
    assert len(keys) == 6 and None not in keys and len(set(keys)) == 6
    plain = {"method": "POST", "paths": ["/gps"], "json": {"pings": []}}
    keys.clear()
    asyncio.run(measure(keyed, plain, "token", total=2, concurrency=1))
    assert keys == [None, None]


def test_a_once_case_uses_each_path_once_over_all_runs() -> None:
    # A stop is picked up once: the stop_event case's runs continue where the last one ended.
    seen: list[str] = []

    async def record(request: Request) -> JSONResponse:
        seen.append(request.url.path)
        return JSONResponse({})

    stops = Starlette(routes=[Route("/stops/{n}", record, methods=["POST"])])
    case = {"method": "POST", "paths": [f"/stops/{n}" for n in range(5)], "once": True}
    used = 0
    for requests in (2, 3):
        start = next_start(case, used, requests)
        used = start + requests
        asyncio.run(measure(stops, case, "token", total=requests, concurrency=2, start=start))
    assert sorted(seen) == [f"/stops/{n}" for n in range(5)]
    with pytest.raises(RuntimeError, match="cannot serve"):
        next_start(case, used, 1)
    assert next_start({"paths": ["/a"]}, 7, 3) == 0  # other cases start over each run


def test_the_spec_comes_inline_or_from_a_file(tmp_path: Path) -> None:
    spec = {"cases": {"x": {"paths": ["/a"] * 3}}}
    (tmp_path / "spec.json").write_text(json.dumps(spec))
    assert read_spec(json.dumps(spec)) == spec
    assert read_spec(f"@{tmp_path / 'spec.json'}") == spec
