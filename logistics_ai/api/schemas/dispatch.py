"""The day's auto-dispatch plan (read from `services.dispatch_planning.PlanPreview`).

`/optimize` uses the service's `OptimizeRequest` and `OptimizeResponse` as its contract; their
`StopOut`/`RouteOut` parts are the only models of those names (the driver app's are `Driver*`).
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from logistics_ai.api.schemas.common import Out
from logistics_ai.services.optimize import MAX_BUDGET_S


class PlanIn(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    service_date: date | None = Field(
        default=None, alias="date", description="Service date; default today"
    )
    budget_seconds: float | None = Field(default=None, gt=0, le=MAX_BUDGET_S)
    seed: int = Field(default=0, ge=0, le=2**31 - 1)


class PlannedStopOut(Out):
    shipment_id: int
    tracking_code: str
    kind: str
    address: str
    arrival: str
    load_kg: int


class PlannedRouteOut(Out):
    driver_id: int
    driver_name: str
    vehicle: str
    capacity_kg: float
    distance_m: int
    duration_s: int
    max_load_kg: int
    stops: list[PlannedStopOut]


class PlanOut(Out):
    plan_id: str
    service_date: str
    created_at: str
    runtime_s: float
    routes: list[PlannedRouteOut]
    unassigned: list[dict[str, str]]
    newly_assigned: int
    reassigned: int
    unchanged: int
    total_distance_m: int
    total_duration_s: int
