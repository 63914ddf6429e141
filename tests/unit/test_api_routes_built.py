"""Serving a request builds no FastAPI route state: `create_api` built it all beforehand, so a
worker's first requests do not stall its event loop (docs/operations.md, event-loop stalls)."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from fastapi import routing

from logistics_ai.api.app import create_api


def test_the_first_requests_build_no_route_state(monkeypatch: pytest.MonkeyPatch) -> None:
    api = create_api()
    built: list[str] = []
    original = routing._populate_api_route_state

    def counting(route: Any, path: str, *args: Any, **kwargs: Any) -> None:
        built.append(path)
        original(route, path, *args, **kwargs)

    monkeypatch.setattr(routing, "_populate_api_route_state", counting)

    async def first_requests() -> list[int]:
        transport = httpx.ASGITransport(app=api)
        async with httpx.AsyncClient(transport=transport, base_url="http://app") as client:
            return [
                (await client.get("/api/v1/shipments")).status_code,
                (await client.get("/api/v1/drivers/me/route")).status_code,
                (await client.post("/api/v1/auth/token", json={})).status_code,
            ]

    assert asyncio.run(first_requests()) == [401, 401, 422]
    assert built == []
