"""The driver app: today's route, stop events, GPS batches (body: the service's `PingBatch`).

`DriverStopOut` reads a `services.drivers.StopView` (a stop and its shipment) through
validation aliases, so the one place that says which shipment field a stop shows is here.
"""

from __future__ import annotations

from datetime import date, datetime

from pydantic import AliasPath, BaseModel, ConfigDict, Field

from logistics_ai.api.schemas.common import Out
from logistics_ai.domain.validation import Reason
from logistics_ai.services.shipment_status import StopEvent


class StopEventIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    event: StopEvent
    reason: Reason | None = None
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)


class DriverStopOut(Out):
    model_config = ConfigDict(from_attributes=True, populate_by_name=True)

    id: int = Field(validation_alias=AliasPath("stop", "id"))
    sequence: int = Field(validation_alias=AliasPath("stop", "sequence"))
    kind: str = Field(validation_alias=AliasPath("stop", "kind"))
    status: str = Field(validation_alias=AliasPath("stop", "status"))
    shipment_id: int = Field(validation_alias=AliasPath("shipment", "id"))
    tracking_code: str = Field(validation_alias=AliasPath("shipment", "tracking_code"))
    address: str
    lat: float = Field(validation_alias=AliasPath("position", 0))
    lon: float = Field(validation_alias=AliasPath("position", 1))
    window_start: datetime = Field(validation_alias=AliasPath("window", 0))
    window_end: datetime = Field(validation_alias=AliasPath("window", 1))
    recipient_name: str = Field(validation_alias=AliasPath("shipment", "recipient_name"))
    notes: str | None = Field(validation_alias=AliasPath("shipment", "notes"))
    failure_reason: str | None = Field(validation_alias=AliasPath("stop", "failure_reason"))
    # What the driver app shows next to each stop (parity with the UI).
    eta: datetime | None = Field(
        validation_alias=AliasPath("stop", "planned_arrival"),
        description="Latest estimated arrival, from the van's last GPS fix",
    )
    late_risk: bool = Field(
        validation_alias=AliasPath("stop", "late_risk"),
        description="The ETA passes the stop's window end",
    )


class DriverRouteOut(Out):
    driver_id: int
    service_date: date
    stops: list[DriverStopOut]


class DriverLocationOut(Out):
    model_config = ConfigDict(from_attributes=True, populate_by_name=True)

    driver_id: int = Field(validation_alias="id")
    lat: float | None = Field(validation_alias="last_lat")
    lon: float | None = Field(validation_alias="last_lon")
    last_seen_at: datetime | None
    accepted: int = 0
