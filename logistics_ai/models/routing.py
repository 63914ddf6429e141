"""Routes (a driver's day) and their ordered stops."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import CheckConstraint, Index, String, UniqueConstraint
from sqlalchemy.orm import declared_attr
from sqlmodel import Field, SQLModel

from logistics_ai.models._base import UTCDateTime, utcnow, versioned
from logistics_ai.models.enums import RouteStatus, StopKind, StopStatus, check_in


class Route(SQLModel, table=True):
    __tablename__ = "routes"
    __table_args__ = (
        CheckConstraint(check_in("status", RouteStatus), name="ck_routes_status"),
        UniqueConstraint("driver_id", "service_date", name="uq_routes_driver_date"),
    )

    id: int | None = Field(default=None, primary_key=True)
    driver_id: int = Field(foreign_key="drivers.id", index=True)
    service_date: date = Field(index=True)
    status: str = Field(default=RouteStatus.planned, sa_type=String(16))
    # Optimistic concurrency (see models._base.versioned); a plan preview also records it so
    # a preview computed before any change to the route cannot be applied over it.
    version: int = Field(default=1)
    total_distance_m: int = Field(default=0)
    total_duration_s: int = Field(default=0)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        return versioned(cls)


class Stop(SQLModel, table=True):
    __tablename__ = "stops"
    __table_args__ = (
        CheckConstraint(check_in("kind", StopKind), name="ck_stops_kind"),
        CheckConstraint(check_in("status", StopStatus), name="ck_stops_status"),
        UniqueConstraint("shipment_id", "kind", name="uq_stops_shipment_kind"),
        Index("ix_stops_route_sequence", "route_id", "sequence"),
    )

    id: int | None = Field(default=None, primary_key=True)
    route_id: int = Field(foreign_key="routes.id")
    shipment_id: int = Field(foreign_key="shipments.id", index=True)
    kind: str = Field(sa_type=String(8))
    sequence: int = Field(ge=0)
    status: str = Field(default=StopStatus.pending, sa_type=String(16))
    planned_arrival: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # The latest ETA passes the window end: shown to dispatchers as an alert.
    late_risk: bool = Field(default=False)
    actual_arrival: datetime | None = Field(default=None, sa_type=UTCDateTime)
    completed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    failure_reason: str | None = Field(default=None, max_length=300)
    # Optimistic concurrency: two devices reporting on one stop cannot both win.
    version: int = Field(default=1)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        return versioned(cls)
