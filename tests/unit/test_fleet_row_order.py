"""A GPS fix carries the time it was taken from the bus to the fan-out's work item, so a page
never shows an older fix over a newer one (bench realtime found it did; the page's fleet store
keeps the newest, tests/unit/test_live_store.py)."""

from __future__ import annotations

from datetime import UTC, datetime

from logistics_ai.realtime.audience import plan

T1 = datetime(2026, 11, 30, 12, 0, 2, tzinfo=UTC)


def test_the_bus_payload_time_reaches_the_work_item() -> None:
    fix = {"driver_id": 7, "lat": 41.9, "lon": -87.6, "at": T1.isoformat()}
    work = plan([("drivers", fix)], carriers={})
    assert work.positions == {7: (41.9, -87.6)}
    assert work.position_at == {7: T1.timestamp()}
    no_time = plan([("drivers", {**fix, "at": "soon"})], carriers={})
    assert no_time.positions == {7: (41.9, -87.6)} and no_time.position_at == {}
