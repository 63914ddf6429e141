"""The worker's retention job deletes old GPS pings and keeps recent ones."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, select

from logistics_ai.db import session_scope
from logistics_ai.jobs import worker
from logistics_ai.jobs.retention import count_location_pings
from logistics_ai.models import AuditEvent, LocationPing, utcnow
from logistics_ai.settings import get_settings
from tests.support.world import World


def test_retention_purges_only_expired_pings(world: World, session: Session) -> None:
    keep_days = get_settings().location_retention_days
    now = utcnow()
    with session_scope() as s:
        for age_days in (0, 1, keep_days - 1, keep_days + 1, keep_days + 90):
            s.add(
                LocationPing(
                    driver_id=world.dave.driver_id,
                    lat=41.9,
                    lon=-87.6,  # type: ignore[arg-type]
                    recorded_at=now - timedelta(days=age_days),
                )
            )
    results = worker.run_once()
    assert results["purge_location_pings"] == 2
    assert count_location_pings() == 3
    audit = session.exec(
        select(AuditEvent).where(AuditEvent.action == "retention.location_pings_purged")
    ).one()
    assert audit.details["removed"] == 2
    assert worker.run_once()["purge_location_pings"] == 0
