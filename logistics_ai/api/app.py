"""The HTTP API mounted in front of Reflex through `api_transformer`."""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import os
import re
from collections.abc import AsyncIterator, Callable
from typing import Any

from fastapi import Depends, FastAPI, Request, routing
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from fastapi.telemetry import TelemetryConfig
from starlette.routing import Match, get_route_path
from starlette.types import Scope

from logistics_ai import observability
from logistics_ai.ai import offload
from logistics_ai.api import health, tracking, web_session
from logistics_ai.api.deps import CALLER_CHECKS, CALLER_SCHEMES, limit_anonymous
from logistics_ai.api.errors import envelope, install_error_handlers
from logistics_ai.api.middleware import BodyLimitMiddleware, LoadShedMiddleware
from logistics_ai.api.routers import (
    account,
    admin,
    ai,
    auth,
    dispatch,
    drivers,
    fleet,
    geocoding,
    me,
    notifications,
    privacy,
    proof,
    shipments,
    webhooks,
)
from logistics_ai.memory import freeze_startup_objects, return_big_buffers_to_the_os
from logistics_ai.observability import metrics, tracing
from logistics_ai.security import session_cache
from logistics_ai.services import ops_metrics
from logistics_ai.settings import get_settings

DESCRIPTION = """
Delivery operations over HTTPS + JSON.

Authenticate with `Authorization: Bearer <access token>` from `POST /api/v1/auth/token`,
or with an API key as `Authorization: Bearer lai_...` or `X-API-Key: lai_...`.
Errors are always `{"error": {"code", "message", "details"}}`.
"""


# Optimisation problems may be large (explicit matrices); everything else stays small.
BODY_LIMITS = {"/api/v1/optimize": dispatch.MAX_OPTIMIZE_BODY_BYTES}
DEFAULT_BODY_LIMIT = 1024 * 1024
# Proof-of-delivery uploads: the photo limit plus room for the signature and form fields.
PROOF_UPLOAD = re.compile(r"^/api/v1/shipments/[0-9]+/proof$")


def _pattern_limit(path: str) -> int:
    if PROOF_UPLOAD.fullmatch(path):
        return get_settings().proof_max_bytes + 1024 * 1024
    return DEFAULT_BODY_LIMIT


def body_limit(path: str) -> int:
    return BODY_LIMITS.get(path) or _pattern_limit(path)


def internal_error() -> JSONResponse:
    return envelope(500, "internal_error", "Something went wrong on our side.")


async def unknown_api_route(request: Request) -> JSONResponse:
    # Without this, unknown /api paths would fall through to the Reflex frontend's HTML.
    return envelope(404, "not_found", f"No API route {request.method} {request.url.path}.")


@contextlib.asynccontextmanager
async def _lifespan(_api: FastAPI) -> AsyncIterator[None]:
    # The API served on its own (granian, the benches): hear the other workers' session
    # changes before the first request (else that request subscribes), and stop the
    # copilot's tool processes at the end.
    if session_cache.should_listen():
        await asyncio.to_thread(session_cache.listen)
    freeze_startup_objects()
    try:
        yield
    finally:
        await asyncio.to_thread(offload.shutdown)


def _native_telemetry() -> TelemetryConfig | None:
    """FastAPI's own OpenTelemetry: off unless our tracing is on (then its defaults).

    Left at its defaults, FastAPI asks the global tracer, meter and logger providers on every
    request whether any is configured (an environment lookup each): ~4% of a read's CPU
    (docs/performance.md, Round 4). Without our tracing none is, so the answer is known.
    """
    if tracing.tracer_provider() is not None:
        return None
    return {"tracing": False, "metrics": False, "logs": False}


def _authenticates_caller(dependant: Any) -> bool:
    return dependant.call in CALLER_CHECKS or any(
        _authenticates_caller(sub) for sub in dependant.dependencies
    )


# The keys FastAPI writes into an operation before its `security` (operation metadata).
_OPERATION_METADATA = ("tags", "summary", "description", "operationId", "deprecated")


def declare_caller_schemes(api: FastAPI, document: dict[str, Any]) -> None:
    """Write into `document` what FastAPI writes for security-scheme dependencies: the caller
    checks (deps.CALLER_CHECKS) read CALLER_SCHEMES themselves instead of depending on them.

    Every operation whose dependencies include a caller check requires either scheme, and the
    components declare both, in FastAPI's order and encoding (the same document as before).
    """
    requirement: list[dict[str, list[str]]] = [{s.scheme_name: []} for s in CALLER_SCHEMES]
    declared = False
    for route in routing.iter_route_contexts(api.routes):
        if not isinstance(route.original_route, routing.APIRoute):
            continue
        if not route.include_in_schema or not _authenticates_caller(route.dependant):
            continue
        for method in route.methods or ():
            operation = document["paths"][route.path_format][method.lower()]
            metadata = {k: v for k, v in operation.items() if k in _OPERATION_METADATA}
            rest = {k: v for k, v in operation.items() if k not in _OPERATION_METADATA}
            operation.clear()
            operation.update(metadata, security=[dict(r) for r in requirement], **rest)
        declared = True
    if declared:
        document.setdefault("components", {})["securitySchemes"] = {
            scheme.scheme_name: jsonable_encoder(scheme.model, by_alias=True, exclude_none=True)
            for scheme in CALLER_SCHEMES
        }


class Api(FastAPI):
    def openapi(self) -> dict[str, Any]:
        if self.openapi_schema is None:
            declare_caller_schemes(self, super().openapi())
        return self.openapi_schema  # type: ignore[return-value]  # set by super().openapi()


def create_api() -> FastAPI:
    settings = get_settings()
    return_big_buffers_to_the_os()  # Argon2's 19 MiB buffers; see logistics_ai/memory.py
    api = Api(
        title="Logistics AI API",
        version="1.0.0",
        description=DESCRIPTION,
        openapi_url="/api/v1/openapi.json",
        docs_url="/api/docs",
        redoc_url=None,
        lifespan=_lifespan,
        telemetry=_native_telemetry(),
    )
    install_error_handlers(api)
    # Added innermost first; the observability middleware (metrics, request ids) wraps them
    # all, so shed and refused requests are counted too.
    api.add_middleware(BodyLimitMiddleware, limit_for=body_limit)
    api.add_middleware(
        LoadShedMiddleware,
        max_in_flight=settings.api_max_in_flight,
        threads=settings.api_threads,
    )
    observability.install(api, error_response=internal_error)  # outermost: keep it last
    # Each router straight under the app with the /api/v1 prefix, not through a /api/v1
    # router: FastAPI matches a request again at every level of inclusion (a third of a
    # read's routing CPU per level; docs/performance.md, Round 4). Same paths, same order.
    anonymous = [Depends(limit_anonymous)]
    for router, dependencies in (
        (auth.router, None),
        (me.router, None),
        (account.public, None),
        (account.me, None),
        (privacy.router, None),
        (shipments.router, None),
        (drivers.router, None),
        (admin.router, None),
        (dispatch.router, None),
        (geocoding.router, None),
        (fleet.router, None),
        (ai.router, None),
        (tracking.router, anonymous),
        (notifications.router, None),
        (proof.router, None),
        (webhooks.router, None),
        (notifications.public, anonymous),
    ):
        api.include_router(router, prefix="/api/v1", dependencies=dependencies)
    api.include_router(web_session.router)
    api.include_router(health.router)
    api.add_api_route("/metrics", metrics.metrics_response, include_in_schema=False)
    metrics.register_collector("operations", ops_metrics.OperationsCollector())
    api.add_api_route(
        "/api/{rest:path}",
        unknown_api_route,
        methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
        include_in_schema=False,
    )
    build_routes_now(api)
    skip_routers_by_path_prefix(api)
    return api


def _prefixed(
    matches: Callable[[Scope], tuple[Match, Scope]], prefix: str
) -> Callable[[Scope], tuple[Match, Scope]]:
    def matches_under_prefix(scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] == "http" and not get_route_path(scope).startswith(prefix):
            return Match.NONE, {}
        return matches(scope)

    return matches_under_prefix


def skip_routers_by_path_prefix(api: FastAPI) -> None:
    """Let each included router refuse, with one `startswith`, a path outside its routes.

    The app asks its included routers in order whether they match, and FastAPI answers for
    each by matching the request against every route of the router (after checking that the
    router's routes have not changed): a read of /api/v1/shipments/{id} was first refused by
    five routers that way (~6% of its CPU, docs/performance.md, Round 5). Every route's path
    pattern is anchored at the start, so a path that does not begin with the literal part
    common to all of a router's paths (e.g. "/api/v1/shipments") matches none of them, fully
    or partly: the answer is the same, only cheaper. Routers whose routes are not all
    FastAPI routes with a path keep FastAPI's own check. Call it once all routes are in.
    """
    for route in api.router.routes:
        if not isinstance(route, routing._IncludedRouter):
            continue
        contexts = list(routing.iter_route_contexts([route]))
        paths = [c.path_format for c in contexts if isinstance(c.original_route, routing.APIRoute)]
        if not paths or len(paths) != len(contexts) or route.effective_low_priority_routes():
            continue
        # Character by character on purpose: "/api/v1/me" and "/api/v1/me/" share "/api/v1/me".
        literal = [str(path).split("{", 1)[0] for path in paths]
        prefix = os.path.commonprefix(literal)  # noqa: RUF071
        if prefix:
            route.matches = _prefixed(route.matches, prefix)  # type: ignore[method-assign,assignment]


def build_routes_now(api: FastAPI) -> None:
    """Do now what FastAPI and anyio would otherwise do on the first requests, on the event
    loop of a worker that is already serving: FastAPI builds each included route's handler
    state (its pydantic adapters) when a request first reaches it, and anyio imports its
    asyncio backend on the first thread hop. Together 0.2 s on an idle machine, and stalls
    of 0.25-0.7 s each on a busy worker's first requests (measured by the event-loop
    watchdog, docs/operations.md), during which that worker served no one."""
    for _ in routing.iter_route_contexts(api.routes):
        pass
    importlib.import_module("anyio._backends._asyncio")
