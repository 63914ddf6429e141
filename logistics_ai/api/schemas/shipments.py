"""Shipments. Booking uses the service's `ShipmentCreate` as its body."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from logistics_ai.api.schemas.common import Out, Page
from logistics_ai.domain.validation import Reason


class ShipmentOut(Out):
    id: int
    tracking_code: str
    customer_id: int
    status: str
    service_date: date
    pickup_address: str
    pickup_lat: float
    pickup_lon: float
    pickup_window_start: datetime
    pickup_window_end: datetime
    dropoff_address: str
    dropoff_lat: float
    dropoff_lon: float
    dropoff_window_start: datetime
    dropoff_window_end: datetime
    recipient_name: str
    recipient_phone: str | None
    weight_kg: float
    volume_m3: float
    required_skills: list[str]
    notes: str | None
    price_cents: int
    eta: datetime | None
    driver_id: int | None
    requires_proof: bool
    created_at: datetime
    updated_at: datetime

    @field_validator("required_skills", mode="before")
    @classmethod
    def _split_skills(cls, value: object) -> object:
        # Stored as a comma-separated column.
        return [s for s in value.split(",") if s] if isinstance(value, str) else value


class ShipmentPage(Page[ShipmentOut]):
    """A page of the list (a named subclass, so OpenAPI names it `ShipmentPage`)."""


class CancelIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Reason | None = None


class AssignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    driver_id: int = Field(ge=1, le=2**31 - 1)
