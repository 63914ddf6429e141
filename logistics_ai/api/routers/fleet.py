"""The fleet as dispatch sees it (board, late alerts) and drivers' shift status."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import Path, Query

from logistics_ai.api.deps import ActorDep, SessionDep, api_router
from logistics_ai.api.routers.common import ERRORS
from logistics_ai.api.schemas.fleet import (
    DriverStatusIn,
    DriverStatusOut,
    FleetDriverOut,
    LateStopOut,
)
from logistics_ai.domain import clock
from logistics_ai.services import drivers, eta_updates

router = api_router(tags=["fleet"], responses=ERRORS)
DriverId = Annotated[int, Path(ge=1, le=2**31 - 1)]
Day = Annotated[date | None, Query(alias="date", description="Service date; default today")]


@router.get("/fleet", summary="The fleet board for a day (dispatchers, admins)")
def fleet_board(session: SessionDep, actor: ActorDep, day: Day = None) -> list[FleetDriverOut]:
    rows = drivers.fleet_board(session, actor, day or clock.today_local())
    return [FleetDriverOut.model_validate(row) for row in rows]


@router.get("/alerts/late", summary="Open stops at risk of being late (dispatchers, admins)")
def late_alerts(session: SessionDep, actor: ActorDep, day: Day = None) -> list[LateStopOut]:
    late = eta_updates.late_alerts(session, actor, day or clock.today_local())
    return [
        LateStopOut(
            stop_id=stop.id,
            kind=stop.kind,
            shipment_id=shipment.id,
            tracking_code=shipment.tracking_code,
            driver_id=driver.id,
            eta=stop.planned_arrival,
            window_end=(
                shipment.pickup_window_end if stop.kind == "pickup" else shipment.dropoff_window_end
            ),
        )
        for stop, shipment, driver in late
    ]


@router.put("/drivers/me/status", summary="Set my shift status (drivers)")
def set_my_status(body: DriverStatusIn, session: SessionDep, actor: ActorDep) -> DriverStatusOut:
    return DriverStatusOut.model_validate(drivers.set_own_status(session, actor, body.status))


@router.put("/drivers/{driver_id}/status", summary="Set a driver's shift status")
def set_status(
    driver_id: DriverId, body: DriverStatusIn, session: SessionDep, actor: ActorDep
) -> DriverStatusOut:
    return DriverStatusOut.model_validate(
        drivers.set_status(session, actor, driver_id, body.status)
    )
