"""Driver endpoints: GPS batches, today's route and stop events."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import Path, Query
from fastapi.responses import JSONResponse

from logistics_ai.api.browser_session import DriverAppActorDep
from logistics_ai.api.deps import ActorDep, SessionDep, api_router
from logistics_ai.api.idempotency import IdempotencyKey, run_once
from logistics_ai.api.routers.common import ERRORS
from logistics_ai.api.schemas.drivers import (
    DriverLocationOut,
    DriverRouteOut,
    DriverStopOut,
    StopEventIn,
)
from logistics_ai.domain import clock
from logistics_ai.services import drivers, idempotency
from logistics_ai.services.drivers import PingBatch

router = api_router(tags=["drivers"], responses=ERRORS)


@router.post(
    "/drivers/me/location", response_model=DriverLocationOut, summary="Send a batch of GPS fixes"
)
def post_location(
    body: PingBatch,
    session: SessionDep,
    actor: DriverAppActorDep,
    idempotency_key: IdempotencyKey = None,
) -> DriverLocationOut | JSONResponse:
    def work() -> DriverLocationOut:
        held = drivers.record_locations(session, actor, body)
        return DriverLocationOut(
            driver_id=held.id,
            lat=held.last_lat,
            lon=held.last_lon,
            last_seen_at=held.last_seen_at,
            accepted=len(body.pings),
        )

    fingerprint = idempotency.request_hash(body.model_dump_json())
    return run_once(session, actor, idempotency_key, "location", fingerprint, 200, work)


@router.get("/drivers/me/route", summary="My stops for a day, in order")
def my_route(
    session: SessionDep,
    actor: ActorDep,
    day: Annotated[date | None, Query(alias="date")] = None,
) -> DriverRouteOut:
    service_date = day or clock.today_local()
    return DriverRouteOut(
        driver_id=actor.driver_id,
        service_date=service_date,
        stops=[
            DriverStopOut.model_validate(v) for v in drivers.my_route(session, actor, service_date)
        ],
    )


@router.post("/stops/{stop_id}/events", response_model=DriverStopOut, summary="Report a stop event")
def stop_event(
    body: StopEventIn,
    stop_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    session: SessionDep,
    actor: DriverAppActorDep,
    idempotency_key: IdempotencyKey = None,
) -> DriverStopOut | JSONResponse:
    position = (body.lat, body.lon) if body.lat is not None and body.lon is not None else None

    def work() -> DriverStopOut:
        view = drivers.record_stop_event(
            session, actor, stop_id, body.event, reason=body.reason, position=position
        )
        return DriverStopOut.model_validate(view)

    fingerprint = idempotency.request_hash(str(stop_id), body.model_dump_json())
    return run_once(session, actor, idempotency_key, "stop_event", fingerprint, 200, work)
