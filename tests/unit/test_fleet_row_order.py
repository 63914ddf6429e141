"""A dashboard marker never moves back to an older GPS fix (bench realtime found it did).

A pushed delta is read before it waits for the tab's state lock; when a filter change
re-reads the board in between, the delta that lands afterwards can be older than the screen.
"""

from __future__ import annotations

from datetime import UTC, datetime

from logistics_ai.realtime.audience import plan
from logistics_ai.services.drivers import DriverRow
from state.dispatch import fleet_row, moved, refreshed

T0 = datetime(2026, 11, 30, 12, 0, 0, tzinfo=UTC)
T1 = datetime(2026, 11, 30, 12, 0, 2, tzinfo=UTC)  # two seconds later


def board_row(lat: float | None, lon: float | None, seen: datetime | None) -> DriverRow:
    return DriverRow(
        id=7,
        name="Dmitri Driver",
        status="on_route",
        vehicle="Van",
        capacity_kg=1000.0,
        skills="",
        stops_today=4,
        stops_done_today=1,
        last_seen=seen.isoformat() if seen else "",
        lat=lat,
        lon=lon,
    )


def test_an_older_fix_does_not_overwrite_a_newer_one() -> None:
    on_screen = fleet_row(board_row(41.90000, -87.60000, T1))  # the re-read board, at T1
    late_delta = moved(on_screen, 41.80000, -87.70000, T0.timestamp())  # a fix from T0
    assert (late_delta.lat_text, late_delta.lng_text) == ("41.90000", "-87.60000")
    newer = moved(on_screen, 41.95000, -87.55000, T1.timestamp() + 2)
    assert (newer.lat_text, newer.lng_text) == ("41.95000", "-87.55000")


def test_a_re_read_row_keeps_the_newer_fix_but_takes_its_other_fields() -> None:
    on_screen = fleet_row(board_row(41.90000, -87.60000, T1))
    stale_read = fleet_row(board_row(41.80000, -87.70000, T0))
    stale_read = stale_read.__class__(**{**stale_read.__dict__, "progress": "2/4"})
    merged = refreshed(on_screen, stale_read)
    assert (merged.lat_text, merged.lng_text, merged.progress) == ("41.90000", "-87.60000", "2/4")
    newer_read = fleet_row(board_row(41.95000, -87.55000, T1.replace(second=9)))
    assert refreshed(on_screen, newer_read).lat_text == "41.95000"


def test_a_first_fix_shows_on_a_driver_never_seen() -> None:
    unseen = fleet_row(board_row(None, None, None))
    assert not unseen.has_position and unseen.seen_at == 0.0
    first = moved(unseen, 41.9, -87.6, T0.timestamp())
    assert first.has_position and first.lat_text == "41.90000"


def test_the_bus_payload_time_reaches_the_work_item() -> None:
    fix = {"driver_id": 7, "lat": 41.9, "lon": -87.6, "at": T1.isoformat()}
    work = plan([("drivers", fix)], carriers={})
    assert work.positions == {7: (41.9, -87.6)}
    assert work.position_at == {7: T1.timestamp()}
    no_time = plan([("drivers", {**fix, "at": "soon"})], carriers={})
    assert no_time.positions == {7: (41.9, -87.6)} and no_time.position_at == {}
