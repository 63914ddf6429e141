"""Public tracking: no PII beyond first name and city (see services.public_tracking)."""

from __future__ import annotations

from datetime import datetime

from logistics_ai.api.schemas.common import Out


class TrackingEventOut(Out):
    status: str
    label: str
    occurred_at: datetime
    note: str


class TrackingOut(Out):
    tracking_code: str
    status: str
    status_label: str
    recipient_first_name: str
    destination_city: str
    window_start: datetime
    window_end: datetime
    eta: datetime | None
    events: list[TrackingEventOut]
