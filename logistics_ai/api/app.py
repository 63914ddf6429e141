"""The HTTP API mounted in front of Reflex through `api_transformer`."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

from logistics_ai.api import health, tracking
from logistics_ai.api.errors import install_error_handlers


def create_api() -> FastAPI:
    api = FastAPI(
        title="Logistics AI API",
        version="1.0.0",
        openapi_url="/api/v1/openapi.json",
        docs_url="/api/docs",
        redoc_url=None,
    )
    install_error_handlers(api)
    v1 = APIRouter(prefix="/api/v1")
    v1.include_router(tracking.router)
    api.include_router(v1)
    api.include_router(health.router)
    return api
