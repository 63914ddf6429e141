"""The audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from logistics_ai.api.schemas.common import Out, Page


class AuditEventOut(Out):
    id: int
    occurred_at: datetime
    actor_user_id: int | None
    actor_label: str
    action: str
    entity_type: str
    entity_id: str | None
    ip: str | None
    user_agent: str | None
    details: dict[str, Any]


class AuditPage(Page[AuditEventOut]):
    """A page of the list (a named subclass, so OpenAPI names it `AuditPage`)."""
