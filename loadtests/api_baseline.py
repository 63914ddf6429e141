"""The minimal baseline that `bench api` compares the project's API with.

Bare Starlette on the same granian and PostgreSQL: one route that checks one JWT (HS256,
audience, issuer, expiry; the same key and claims as the project's tokens) and reads one
shipment by primary key through a psycopg AsyncConnectionPool. No ORM, no middleware, no
sessions, no rate limits, no audit: the floor the project's read is measured against.

  BASELINE_DSN=postgresql://... BASELINE_JWT_KEY=... granian --interface asgi \\
      --factory loadtests.api_baseline:create_app
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import jwt
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

QUERY = (
    "SELECT id, tracking_code, status, service_date, recipient_name, weight_kg, created_at "
    "FROM shipments WHERE id = %s"
)


def create_app() -> Starlette:
    key = os.environ["BASELINE_JWT_KEY"]
    pool = AsyncConnectionPool(
        os.environ["BASELINE_DSN"],
        min_size=int(os.environ.get("BASELINE_POOL", "10")),
        max_size=int(os.environ.get("BASELINE_POOL", "10")),
        open=False,
        kwargs={"row_factory": dict_row},
    )

    async def item(request: Request) -> JSONResponse:
        header = request.headers.get("authorization", "")
        try:
            jwt.decode(
                header.removeprefix("Bearer "),
                key,
                algorithms=["HS256"],
                audience="logistics-ai:api",
                issuer="logistics-ai",
            )
        except jwt.PyJWTError:
            return JSONResponse({"error": "unauthorized"}, status_code=401)
        async with pool.connection() as connection:
            cursor = await connection.execute(QUERY, (int(request.path_params["item_id"]),))
            row = await cursor.fetchone()
        if row is None:
            return JSONResponse({"error": "not found"}, status_code=404)
        return JSONResponse(
            {k: str(v) if k.endswith(("_at", "_date")) else v for k, v in row.items()}
        )

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        await pool.open(wait=True)
        yield
        await pool.close()

    return Starlette(routes=[Route("/item/{item_id:int}", item)], lifespan=lifespan)
