"""Append-only audit trail, written in the caller's transaction."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from logistics_ai.domain.actors import Actor
from logistics_ai.models import AuditEvent


def record(
    session: Session,
    actor: Actor,
    action: str,
    entity_type: str,
    entity_id: int | str | None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    event = AuditEvent(
        actor_user_id=actor.user_id,
        actor_label=actor.label[:120],
        action=action,
        entity_type=entity_type,
        entity_id=None if entity_id is None else str(entity_id),
        ip=actor.ip,
        user_agent=(actor.user_agent or "")[:300] or None,
        details=details or {},
    )
    session.add(event)
    return event
