"""Webhook subscriptions of integrators and the log of every delivery attempt."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Column, Index, String
from sqlmodel import Field, SQLModel

from logistics_ai.models._base import UTCDateTime, utcnow
from logistics_ai.models.encryption import EncryptedString

DELIVERY_STATUSES = ("pending", "sending", "delivered", "failed")


class WebhookEndpoint(SQLModel, table=True):
    __tablename__ = "webhook_endpoints"

    id: int | None = Field(default=None, primary_key=True)
    url: str = Field(max_length=500)
    description: str = Field(default="", max_length=200)
    event_types: str = Field(max_length=300)  # comma-separated
    # Signing secrets are needed in clear to sign, so they are encrypted, not hashed.
    secret: str = Field(sa_type=EncryptedString)
    previous_secret: str | None = Field(default=None, sa_type=EncryptedString)
    previous_secret_expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    is_active: bool = Field(default=True)
    disabled_reason: str | None = Field(default=None, max_length=200)
    consecutive_failures: int = Field(default=0)
    created_by_id: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    deleted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class WebhookDelivery(SQLModel, table=True):
    """One event for one endpoint: retried with backoff until delivered or 24 h have passed."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        CheckConstraint(
            "status IN ('pending', 'sending', 'delivered', 'failed')",
            name="ck_webhook_deliveries_status",
        ),
        Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
        Index("ix_webhook_deliveries_endpoint_created", "endpoint_id", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    event_id: str = Field(max_length=40, index=True)
    endpoint_id: int = Field(foreign_key="webhook_endpoints.id")
    event_type: str = Field(max_length=64)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    status: str = Field(default="pending", sa_type=String(16))
    attempts: int = Field(default=0)
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    locked_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    claimed_by: str | None = Field(default=None, max_length=64)
    last_status_code: int | None = None
    last_error: str | None = Field(default=None, max_length=300)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    delivered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
