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
    """Photo, signature and recipient name for one delivered shipment.

    The files live in the object store (logistics_ai.storage) under app-generated keys;
    the row is written only after they are stored, so it never points at nothing.
    """

    __tablename__ = "proofs_of_delivery"

    id: int | None = Field(default=None, primary_key=True)
    shipment_id: int = Field(foreign_key="shipments.id", unique=True, index=True)
    photo_key: str | None = Field(default=None, max_length=300)
    photo_content_type: str | None = Field(default=None, max_length=32)
    photo_bytes: int | None = None
    thumbnail_key: str | None = Field(default=None, max_length=300)
    signature_key: str | None = Field(default=None, max_length=300)
    signature_svg: str | None = Field(default=None, max_length=20000)
    recipient_name: str | None = Field(default=None, max_length=120)
    lat: float | None = None
    lon: float | None = None
    uploaded_by_id: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
