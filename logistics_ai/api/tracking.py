"""GET /api/v1/track/{code}: public, no authentication, no PII beyond first name and city."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Path
from pydantic import BaseModel

from logistics_ai.api.routers.common import PUBLIC_ERRORS
from logistics_ai.db import session_scope
from logistics_ai.services.public_tracking import track

router = APIRouter(tags=["tracking"], responses=PUBLIC_ERRORS)


class TrackingEventOut(BaseModel):
    status: str
    label: str
    occurred_at: datetime
    note: str


class TrackingOut(BaseModel):
    tracking_code: str
    status: str
    status_label: str
    recipient_first_name: str
    destination_city: str
    window_start: datetime
    window_end: datetime
    eta: datetime | None
    events: list[TrackingEventOut]


@router.get("/track/{tracking_code}", response_model=TrackingOut)
def get_tracking(tracking_code: str = Path(min_length=1, max_length=40)) -> TrackingOut:
    with session_scope() as session:
        view = track(session, tracking_code)
    return TrackingOut.model_validate(view, from_attributes=True)
