"""Retention: driver GPS pings are high-volume personal data, kept only as long as needed."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func
from sqlmodel import col, delete, select

from logistics_ai.db import session_scope
from logistics_ai.domain.actors import SYSTEM
from logistics_ai.models import LocationPing, utcnow
from logistics_ai.services import audit
from logistics_ai.settings import get_settings

BATCH_SIZE = 5000


def purge_location_pings() -> int:
    """Delete pings older than LOCATION_RETENTION_DAYS, in batches so locks stay short."""
    cutoff = utcnow() - timedelta(days=get_settings().location_retention_days)
    removed = 0
    while True:
        with session_scope() as session:
            ids = session.exec(
                select(LocationPing.id)
                .where(col(LocationPing.recorded_at) < cutoff)
                .limit(BATCH_SIZE)
            ).all()
            if not ids:
                break
            session.exec(delete(LocationPing).where(col(LocationPing.id).in_(ids)))
            removed += len(ids)
    if removed:
        with session_scope() as session:
            audit.record(
                session,
                SYSTEM,
                "retention.location_pings_purged",
                "location_ping",
                None,
                {"removed": removed, "cutoff": cutoff.isoformat()},
            )
    return removed


def count_location_pings() -> int:
    with session_scope() as session:
        return session.exec(select(func.count()).select_from(LocationPing)).one()


def purge_idempotency_keys() -> int:
    """Stored answers of idempotent requests are kept for three days (offline replays)."""
    from logistics_ai.services.idempotency import purge_expired

    with session_scope() as session:
        return purge_expired(session)
