"""What each customer wants to hear about, and how."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from logistics_ai.models._base import UTCDateTime, utcnow


class NotificationPreference(SQLModel, table=True):
    """One row per user who changed the defaults (no row: email on, SMS off, every event)."""

    __tablename__ = "notification_preferences"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", unique=True, index=True)
    email_enabled: bool = Field(default=True)
    sms_enabled: bool = Field(default=False)
    # Comma-separated subset of logistics_ai.notify.events.EVENTS.
    events: str = Field(default="booked,out_for_delivery,delivered,failed", max_length=200)
    language: str = Field(default="en", max_length=8)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
