"""Route optimisation: the stateless /optimize and the day's auto-dispatch plan."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, status
from pydantic import BaseModel, ConfigDict, Field

from logistics_ai.api.deps import current_actor
from logistics_ai.api.routers.common import ERRORS
from logistics_ai.api.schemas import ErrorEnvelope
from logistics_ai.db import session_scope
from logistics_ai.domain.actors import Actor
from logistics_ai.services import dispatch_planning
from logistics_ai.services.optimize import MAX_BUDGET_S, OptimizeRequest, OptimizeResponse, optimize

router = APIRouter(
    tags=["dispatch"],
    responses={**ERRORS, 413: {"model": ErrorEnvelope, "description": "Problem too large"}},
)
MAX_OPTIMIZE_BODY_BYTES = 16 * 1024 * 1024


class PlanIn(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    service_date: date | None = Field(
        default=None, alias="date", description="Service date; default today"
    )
    budget_seconds: float | None = Field(default=None, gt=0, le=MAX_BUDGET_S)
    seed: int = Field(default=0, ge=0, le=2**31 - 1)


class PlannedStopOut(BaseModel):
    shipment_id: int
    tracking_code: str
    kind: str
    address: str
    arrival: str
    load_kg: int


class PlannedRouteOut(BaseModel):
    driver_id: int
    driver_name: str
    vehicle: str
    capacity_kg: float
    distance_m: int
    duration_s: int
    max_load_kg: int
    stops: list[PlannedStopOut]


class PlanOut(BaseModel):
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


def _out(plan: dispatch_planning.PlanPreview) -> PlanOut:
    data: dict[str, Any] = asdict(plan)
    return PlanOut(**{k: v for k, v in data.items() if k in PlanOut.model_fields})


@router.post(
    "/optimize", response_model=OptimizeResponse, summary="Solve a routing problem (stateless)"
)
def post_optimize(body: OptimizeRequest, actor: Actor = Depends(current_actor)) -> OptimizeResponse:
    return optimize(actor, body)


@router.post(
    "/dispatch/plan",
    response_model=PlanOut,
    summary="Preview an optimised plan for all open work of a day",
)
def post_plan(body: PlanIn | None = None, actor: Actor = Depends(current_actor)) -> PlanOut:
    body = body or PlanIn()
    with session_scope() as session:
        plan = dispatch_planning.preview(
            session, actor, body.service_date, body.budget_seconds, body.seed
        )
    return _out(plan)


@router.post(
    "/dispatch/plans/{plan_id}/apply",
    response_model=PlanOut,
    status_code=status.HTTP_200_OK,
    summary="Apply a previewed plan atomically",
)
def apply_plan(
    plan_id: Annotated[str, Path(min_length=8, max_length=40, pattern=r"^[\w-]+$")],
    actor: Actor = Depends(current_actor),
) -> PlanOut:
    with session_scope() as session:
        plan = dispatch_planning.apply(session, actor, plan_id)
    return _out(plan)
