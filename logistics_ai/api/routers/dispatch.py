"""Route optimisation: the stateless /optimize and the day's auto-dispatch plan."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, status

from logistics_ai.api.deps import ActorDep, SessionDep, api_router
from logistics_ai.api.routers.common import ERRORS
from logistics_ai.api.schemas.common import ErrorEnvelope
from logistics_ai.api.schemas.dispatch import PlanIn, PlanOut
from logistics_ai.services import dispatch_planning
from logistics_ai.services.optimize import OptimizeRequest, OptimizeResponse, optimize

router = api_router(
    tags=["dispatch"],
    responses={**ERRORS, 413: {"model": ErrorEnvelope, "description": "Problem too large"}},
)
MAX_OPTIMIZE_BODY_BYTES = 16 * 1024 * 1024


@router.post("/optimize", summary="Solve a routing problem (stateless)")
def post_optimize(body: OptimizeRequest, actor: ActorDep) -> OptimizeResponse:
    return optimize(actor, body)


@router.post("/dispatch/plan", summary="Preview an optimised plan for all open work of a day")
def post_plan(session: SessionDep, actor: ActorDep, body: PlanIn | None = None) -> PlanOut:
    body = body or PlanIn()
    plan = dispatch_planning.preview(
        session, actor, body.service_date, body.budget_seconds, body.seed
    )
    return PlanOut.model_validate(plan)


@router.post(
    "/dispatch/plans/{plan_id}/apply",
    status_code=status.HTTP_200_OK,
    summary="Apply a previewed plan atomically",
)
def apply_plan(
    plan_id: Annotated[str, Path(min_length=8, max_length=40, pattern=r"^[\w-]+$")],
    session: SessionDep,
    actor: ActorDep,
) -> PlanOut:
    return PlanOut.model_validate(dispatch_planning.apply(session, actor, plan_id))
