"""Depots, vehicles and drivers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, String
from sqlmodel import Field, SQLModel

from logistics_ai.models._base import UTCDateTime, utcnow
from logistics_ai.models.enums import DriverStatus, check_in


class Depot(SQLModel, table=True):
    __tablename__ = "depots"
    __table_args__ = (
        CheckConstraint(
            "lat BETWEEN -90 AND 90 AND lon BETWEEN -180 AND 180", name="ck_depots_coords"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120, unique=True)
    address: str = Field(max_length=300)
    lat: float
    lon: float
    timezone: str = Field(default="UTC", max_length=64)


class Vehicle(SQLModel, table=True):
    __tablename__ = "vehicles"
    __table_args__ = (
        CheckConstraint("capacity_kg > 0 AND capacity_m3 > 0", name="ck_vehicles_capacity"),
    )

    id: int | None = Field(default=None, primary_key=True)
    plate: str = Field(max_length=20, unique=True)
    label: str = Field(max_length=80)
    capacity_kg: float
    capacity_m3: float
    # Comma-separated, lower-case skill tags such as "refrigerated,liftgate".
    skills: str = Field(default="", max_length=200)
    depot_id: int | None = Field(default=None, foreign_key="depots.id", index=True)
    is_active: bool = Field(default=True)


class Driver(SQLModel, table=True):
    __tablename__ = "drivers"
    __table_args__ = (CheckConstraint(check_in("status", DriverStatus), name="ck_drivers_status"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", unique=True, index=True)
    vehicle_id: int | None = Field(default=None, foreign_key="vehicles.id", index=True)
    depot_id: int | None = Field(default=None, foreign_key="depots.id", index=True)
    status: str = Field(default=DriverStatus.off_duty, sa_type=String(16), index=True)
    last_lat: float | None = None
    last_lon: float | None = None
    last_seen_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
