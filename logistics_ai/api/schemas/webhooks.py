"""Webhook subscriptions, their signing secret (shown once) and the delivery log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import field_validator

from logistics_ai.api.schemas.common import Out, Page


class WebhookOut(Out):
    id: int
    url: str
    description: str
    event_types: list[str]
    is_active: bool
    disabled_reason: str | None
    consecutive_failures: int
    created_at: datetime
    previous_secret_expires_at: datetime | None

    @field_validator("event_types", mode="before")
    @classmethod
    def _split(cls, value: object) -> object:
        # Stored as a comma-separated column.
        return [s for s in value.split(",") if s] if isinstance(value, str) else value


class WebhookCreatedOut(WebhookOut):
    secret: str  # shown once: store it now, it cannot be read again


class WebhookDeliveryOut(Out):
    id: int
    event_id: str
    event_type: str
    status: str
    attempts: int
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    next_attempt_at: datetime
    delivered_at: datetime | None
    payload: dict[str, Any]


class WebhookDeliveryPage(Page[WebhookDeliveryOut]):
    """A page of one endpoint's deliveries, newest first."""
