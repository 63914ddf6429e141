"""Reading the audit trail (admins only)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from logistics_ai.domain import clock
from logistics_ai.domain.actors import Actor
from logistics_ai.domain.validation import Clean, bounded, parse
from logistics_ai.models import AuditEvent, User
from logistics_ai.security import shredding
from logistics_ai.security.policy import Action, require

Short = Annotated[str, bounded(64), Clean]


class AuditFilter(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: Short | None = None
    actor: Short | None = None
    entity_type: Short | None = None
    entity_id: Short | None = None
    date_from: date | None = None
    date_to: date | None = None
    page: int = Field(default=1, ge=1, le=100_000)
    page_size: int = Field(default=50, ge=1, le=200)


class AuditPage(BaseModel):
    items: list[AuditEvent]
    total: int
    page: int
    page_size: int


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=clock.local_zone())


def list_events(
    session: Session, actor: Actor, filters: AuditFilter | dict | None = None
) -> AuditPage:
    require(actor, Action.audit_read)
    if filters is None:
        filters = AuditFilter()
    elif isinstance(filters, dict):
        filters = parse(AuditFilter, filters)
    conditions = []
    if filters.action:
        conditions.append(col(AuditEvent.action).startswith(filters.action))
    if filters.actor:
        # Rows name actors by pseudonym; the search still works by email through the users.
        matching_users = select(User.id).where(col(User.email).ilike(f"%{filters.actor}%"))
        conditions.append(
            or_(
                col(AuditEvent.actor_label).ilike(f"%{filters.actor}%"),
                col(AuditEvent.actor_user_id).in_(matching_users),
            )
        )
    if filters.entity_type:
        conditions.append(col(AuditEvent.entity_type) == filters.entity_type)
    if filters.entity_id:
        conditions.append(col(AuditEvent.entity_id) == filters.entity_id)
    if filters.date_from:
        conditions.append(col(AuditEvent.occurred_at) >= _day_start(filters.date_from))
    if filters.date_to:
        conditions.append(
            col(AuditEvent.occurred_at) < _day_start(filters.date_to + timedelta(days=1))
        )
    total = session.exec(select(func.count()).select_from(AuditEvent).where(*conditions)).one()
    items = session.exec(
        select(AuditEvent)
        .where(*conditions)
        .order_by(col(AuditEvent.occurred_at).desc(), col(AuditEvent.id).desc())
        .offset((filters.page - 1) * filters.page_size)
        .limit(filters.page_size)
    ).all()
    return AuditPage(
        items=revealed(session, list(items)),
        total=total,
        page=filters.page,
        page_size=filters.page_size,
    )


def revealed(session: Session, events: list[AuditEvent]) -> list[AuditEvent]:
    """Display copies with the sealed actor details opened; erased people stay pseudonyms."""
    shredding.preload(session, {e.actor_user_id for e in events if e.actor_user_id})
    shown = []
    for event in events:
        copy = AuditEvent.model_validate(event.model_dump())
        if event.pii:
            personal = shredding.open_sealed(session, event.pii)
            if personal is None:
                copy.actor_label = f"{event.actor_label} (erased)"
            else:
                copy.actor_label = personal.get("label") or event.actor_label
                copy.ip = personal.get("ip")
                copy.user_agent = personal.get("user_agent")
        shown.append(copy)
    return shown
