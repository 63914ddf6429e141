"""Shipments and their append-only tracking history."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import CheckConstraint, Index, String
from sqlalchemy.orm import declared_attr
from sqlmodel import Field, SQLModel

from logistics_ai.models._base import UTCDateTime, utcnow, versioned
from logistics_ai.models.encryption import EncryptedString
from logistics_ai.models.enums import ShipmentStatus, check_in


class Shipment(SQLModel, table=True):
    __tablename__ = "shipments"
    __table_args__ = (
        CheckConstraint(check_in("status", ShipmentStatus), name="ck_shipments_status"),
        CheckConstraint("weight_kg > 0 AND volume_m3 > 0", name="ck_shipments_positive_load"),
        CheckConstraint(
            "pickup_lat BETWEEN -90 AND 90 AND dropoff_lat BETWEEN -90 AND 90 "
            "AND pickup_lon BETWEEN -180 AND 180 AND dropoff_lon BETWEEN -180 AND 180",
            name="ck_shipments_coords",
        ),
        CheckConstraint(
            "pickup_window_end > pickup_window_start AND dropoff_window_end > dropoff_window_start",
            name="ck_shipments_windows",
        ),
        # The dispatch board filters by day and status. Every list is ordered newest first
        # (created_at DESC, id DESC), for everyone or scoped to a customer, a driver or a
        # status: each has an index in that order, so a page never sorts the table
        # (verified with EXPLAIN in tests/integration/test_list_indexes.py).
        Index("ix_shipments_date_status", "service_date", "status"),
        Index("ix_shipments_created_id", "created_at", "id"),
        Index("ix_shipments_customer_created_id", "customer_id", "created_at", "id"),
        Index("ix_shipments_driver_created_id", "driver_id", "created_at", "id"),
        Index("ix_shipments_status_created_id", "status", "created_at", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    tracking_code: str = Field(max_length=20, unique=True, index=True)
    customer_id: int = Field(foreign_key="customers.id", index=True)
    status: str = Field(default=ShipmentStatus.requested, sa_type=String(16), index=True)
    service_date: date = Field(index=True)

    pickup_address: str = Field(max_length=300)
    pickup_lat: float
    pickup_lon: float
    pickup_window_start: datetime = Field(sa_type=UTCDateTime)
    pickup_window_end: datetime = Field(sa_type=UTCDateTime)
    pickup_contact: str | None = Field(default=None, max_length=120)

    dropoff_address: str = Field(max_length=300)
    dropoff_lat: float
    dropoff_lon: float
    dropoff_window_start: datetime = Field(sa_type=UTCDateTime)
    dropoff_window_end: datetime = Field(sa_type=UTCDateTime)
    recipient_name: str = Field(max_length=120)
    recipient_phone: str | None = Field(default=None, sa_type=EncryptedString)  # PII

    weight_kg: float
    volume_m3: float
    required_skills: str = Field(default="", max_length=200)
    notes: str | None = Field(default=None, max_length=500)
    price_cents: int = Field(ge=0)
    eta: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # "Delivered" is refused until a proof of delivery is stored (from the customer's default).
    requires_proof: bool = Field(default=False)

    driver_id: int | None = Field(default=None, foreign_key="drivers.id", index=True)
    route_id: int | None = Field(default=None, foreign_key="routes.id", index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # Optimistic-concurrency counter: a transition on a stale copy fails instead of overwriting.
    version: int = Field(default=1)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        return versioned(cls)


class TrackingEvent(SQLModel, table=True):
    """Append-only history of a shipment's status, shown on the public tracking page."""

    __tablename__ = "tracking_events"
    __table_args__ = (
        CheckConstraint(check_in("status", ShipmentStatus), name="ck_tracking_events_status"),
        Index("ix_tracking_events_shipment_time", "shipment_id", "occurred_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    shipment_id: int = Field(foreign_key="shipments.id")
    status: str = Field(sa_type=String(16))
    occurred_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    note: str | None = Field(default=None, max_length=300)
    lat: float | None = None
    lon: float | None = None
