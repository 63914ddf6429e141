"""High-volume and delivery-evidence records: location pings, proof of delivery."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from logistics_ai.models._base import UTCDateTime, utcnow


class LocationPing(SQLModel, table=True):
    """A driver GPS fix. Retention-limited: a purge job deletes old rows by recorded_at."""

    __tablename__ = "location_pings"
    __table_args__ = (Index("ix_location_pings_driver_time", "driver_id", "recorded_at"),)

    id: int | None = Field(default=None, primary_key=True)
    driver_id: int = Field(foreign_key="drivers.id")
    lat: float
    lon: float
    accuracy_m: float | None = None
    speed_mps: float | None = None
    heading_deg: float | None = None
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)


class ProofOfDelivery(SQLModel, table=True):
    __tablename__ = "proofs_of_delivery"

    id: int | None = Field(default=None, primary_key=True)
    shipment_id: int = Field(foreign_key="shipments.id", unique=True, index=True)
    photo_key: str | None = Field(default=None, max_length=300)
    signature_svg: str | None = Field(default=None, max_length=20000)
    recipient_name: str | None = Field(default=None, max_length=120)
    lat: float | None = None
    lon: float | None = None
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
