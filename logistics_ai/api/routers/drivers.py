"""Driver endpoints: GPS batches, today's route and stop events."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Depends, Path, Query

from logistics_ai.api.deps import current_actor
from logistics_ai.api.routers.common import ERRORS
from logistics_ai.api.schemas import DriverLocationOut, RouteOut, StopEventIn, StopOut
from logistics_ai.db import session_scope
from logistics_ai.domain import clock
from logistics_ai.domain.actors import Actor
from logistics_ai.services import drivers
from logistics_ai.services.drivers import PingBatch

router = APIRouter(tags=["drivers"], responses=ERRORS)


def _stop_out(view: drivers.StopView) -> StopOut:
    start, end = view.window
    lat, lon = view.position
    return StopOut(
        id=view.stop.id,
        sequence=view.stop.sequence,
        kind=view.stop.kind,  # type: ignore[arg-type]
        status=view.stop.status,
        shipment_id=view.shipment.id,  # type: ignore[arg-type]
        tracking_code=view.shipment.tracking_code,
        address=view.address,
        lat=lat,
        lon=lon,
        window_start=start,
        window_end=end,
        recipient_name=view.shipment.recipient_name,
        notes=view.shipment.notes,
        failure_reason=view.stop.failure_reason,
    )


@router.post(
    "/drivers/me/location", response_model=DriverLocationOut, summary="Send a batch of GPS fixes"
)
def post_location(body: PingBatch, actor: Actor = Depends(current_actor)) -> DriverLocationOut:
    with session_scope() as session:
        driver = drivers.record_locations(session, actor, body)
        return DriverLocationOut(
            driver_id=driver.id,
            lat=driver.last_lat,
            lon=driver.last_lon,  # type: ignore[arg-type]
            last_seen_at=driver.last_seen_at,
            accepted=len(body.pings),
        )


@router.get("/drivers/me/route", response_model=RouteOut, summary="My stops for a day, in order")
def my_route(
    day: date | None = Query(default=None, alias="date"), actor: Actor = Depends(current_actor)
) -> RouteOut:
    service_date = day or clock.today_local()
    with session_scope() as session:
        views = drivers.my_route(session, actor, service_date)
        return RouteOut(
            driver_id=actor.driver_id,  # type: ignore[arg-type]
            service_date=service_date,
            stops=[_stop_out(v) for v in views],
        )


@router.post("/stops/{stop_id}/events", response_model=StopOut, summary="Report a stop event")
def stop_event(
    body: StopEventIn,
    stop_id: int = Path(ge=1, le=2**31 - 1),
    actor: Actor = Depends(current_actor),
) -> StopOut:
    position = (body.lat, body.lon) if body.lat is not None and body.lon is not None else None
    with session_scope() as session:
        stop = drivers.record_stop_event(
            session, actor, stop_id, body.event, reason=body.reason, position=position
        )
        view = drivers.stop_view(session, stop)
        return _stop_out(view)
