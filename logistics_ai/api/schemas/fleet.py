"""The fleet as dispatch sees it (board, late alerts) and drivers' shift status."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from logistics_ai.api.schemas.common import Out
from logistics_ai.models import DriverStatus


class FleetDriverOut(Out):
    """One row of the fleet board (the dispatch dashboard's driver list)."""

    id: int
    name: str
    status: DriverStatus
    vehicle: str
    capacity_kg: float
    skills: str
    stops_today: int
    stops_done_today: int
    last_seen: str = Field(description="Local HH:MM of the last GPS fix, empty if none")


class LateStopOut(BaseModel):
    """An open stop whose ETA passes its window (the dashboard's late alerts)."""

    stop_id: int
    kind: Literal["pickup", "dropoff"]
    shipment_id: int
    tracking_code: str
    driver_id: int
    eta: datetime | None
    window_end: datetime


class DriverStatusIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: DriverStatus


class DriverStatusOut(Out):
    driver_id: int = Field(validation_alias="id")
    status: DriverStatus
