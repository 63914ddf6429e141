"""The one error envelope of the API: {"error": {"code", "message", "details"}}."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from loguru import logger
from redis.exceptions import ConnectionError as RedisConnectionError
from sqlalchemy.exc import DBAPIError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from logistics_ai.api.deps import Overloaded
from logistics_ai.domain.errors import DomainError, RateLimited, Unavailable
from logistics_ai.kvstore import StoreUnavailable


def envelope(status: int, code: str, message: str, details: Any = None) -> JSONResponse:
    return JSONResponse(
        {"error": {"code": code, "message": message, "details": details or {}}}, status_code=status
    )


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(_request: Request, error: DomainError) -> JSONResponse:
        response = envelope(error.http_status, error.code, error.message, error.details)
        if isinstance(error, RateLimited | Unavailable):
            response.headers["Retry-After"] = str(error.retry_after_s)
        if error.http_status == 401:
            response.headers["WWW-Authenticate"] = "Bearer"
        return response

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, error: RequestValidationError) -> JSONResponse:
        fields = {
            ".".join(str(p) for p in item["loc"] if p not in ("body", "query", "path"))
            or "body": item["msg"]
            for item in error.errors()
        }
        return envelope(422, "validation_error", "The request is invalid.", {"fields": fields})

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, error: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(error.status_code, "http_error")
        return envelope(error.status_code, code, str(error.detail))

    @app.exception_handler(Overloaded)
    async def _overloaded(_request: Request, error: Overloaded) -> JSONResponse:
        response = envelope(503, "overloaded", str(error))
        response.headers["Retry-After"] = "1"
        return response

    @app.exception_handler(OperationalError)
    async def _database_unavailable(_request: Request, error: OperationalError) -> JSONResponse:
        # A failover or a lost connection: the transaction was rolled back as a whole, so the
        # client may retry. (A commit whose acknowledgement was lost is the one ambiguous
        # case; idempotency keys make such a retry safe.) SQLAlchemy has already reset the
        # pool, so the next requests connect afresh (there is no pre-ping; see db.py).
        logger.warning("database unavailable: {}", type(error.orig).__name__)
        response = envelope(
            503, "service_unavailable", "The database is failing over; retry in a few seconds."
        )
        response.headers["Retry-After"] = "2"
        return response

    @app.exception_handler(DBAPIError)
    async def _database(_request: Request, error: DBAPIError) -> JSONResponse:
        if error.connection_invalidated:  # a dropped connection reported as another error
            return await _database_unavailable(_request, error)  # type: ignore[arg-type]  # a subclass
        logger.opt(exception=error).error("unhandled database error in API")
        return envelope(500, "internal_error", "Something went wrong on our side.")

    @app.exception_handler(StoreUnavailable)
    @app.exception_handler(RedisConnectionError)
    async def _redis_unavailable(_request: Request, error: Exception) -> JSONResponse:
        logger.warning("redis unavailable: {}", type(error).__name__)
        response = envelope(
            503, "service_unavailable", "A backing service is unavailable; retry shortly."
        )
        response.headers["Retry-After"] = "2"
        return response

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, error: Exception) -> JSONResponse:
        logger.opt(exception=error).error("unhandled error in API")
        return envelope(500, "internal_error", "Something went wrong on our side.")
