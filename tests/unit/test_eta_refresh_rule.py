"""When a GPS batch may keep the ETAs of the driver's last recomputation (services/eta_updates)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from logistics_ai.domain import clock
from logistics_ai.services.eta_updates import Refreshed, still_holds

# Noon in Chicago (the default operating area), so a few seconds never change the local day.
NOON = datetime(2026, 6, 1, 17, 0, tzinfo=UTC)
HERE = (41.95, -87.70)
LAST = Refreshed(at=NOON, day=clock.to_local(NOON).date(), position=HERE, route_stamp=None)


def test_a_near_fix_soon_after_keeps_the_etas() -> None:
    assert still_holds(LAST, NOON + timedelta(seconds=10), (41.951, -87.70), 15, 250)


def test_distance_time_and_zero_bounds_recompute() -> None:
    assert not still_holds(LAST, NOON + timedelta(seconds=10), (41.953, -87.70), 15, 250)  # 330 m
    assert not still_holds(LAST, NOON + timedelta(seconds=15), HERE, 15, 250)
    assert not still_holds(LAST, NOON, HERE, 0, 250)
    assert not still_holds(LAST, NOON, HERE, 15, 0)


def test_a_clock_that_went_back_or_a_new_day_recomputes() -> None:
    assert not still_holds(LAST, NOON - timedelta(seconds=1), HERE, 15, 250)
    midnight = datetime.combine(LAST.day, datetime.min.time(), tzinfo=clock.local_zone())
    yesterday = Refreshed(
        at=midnight - timedelta(seconds=2),
        day=LAST.day - timedelta(days=1),
        position=HERE,
        route_stamp=None,
    )
    assert not still_holds(yesterday, midnight + timedelta(seconds=2), HERE, 15, 250)
