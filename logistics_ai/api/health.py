"""Liveness and readiness probes for load balancers and orchestrators."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

from logistics_ai.db import get_engine
from logistics_ai.settings import get_settings

router = APIRouter()


@router.get("/healthz", include_in_schema=False)
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", include_in_schema=False)
def readyz() -> JSONResponse:
    checks: dict[str, str] = {}
    try:
        with get_engine().connect() as connection:
            connection.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as error:  # report which dependency failed, never crash the probe
        checks["database"] = f"unavailable: {type(error).__name__}"
    redis_url = get_settings().redis_url
    if redis_url:
        from logistics_ai.redis_client import redis_client

        try:
            redis_client(redis_url).ping()
            checks["redis"] = "ok"
        except Exception as error:
            checks["redis"] = f"unavailable: {type(error).__name__}"
    else:
        checks["redis"] = "not configured (in-process)"
    ready = all(not v.startswith("unavailable") for v in checks.values())
    return JSONResponse(
        {"status": "ready" if ready else "unavailable", "checks": checks},
        status_code=200 if ready else 503,
    )
