"""GET /api/v1/track/{code}: public, no authentication, no PII beyond first name and city."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path

from logistics_ai.api.deps import SessionDep, api_router
from logistics_ai.api.routers.common import PUBLIC_ERRORS
from logistics_ai.api.schemas.tracking import TrackingOut
from logistics_ai.services.public_tracking import track

router = api_router(tags=["tracking"], responses=PUBLIC_ERRORS)


@router.get("/track/{tracking_code}")
def get_tracking(
    tracking_code: Annotated[str, Path(min_length=1, max_length=40)], session: SessionDep
) -> TrackingOut:
    return TrackingOut.model_validate(track(session, tracking_code))
