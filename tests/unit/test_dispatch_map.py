"""The dispatch map's driver markers: one per driver, named, with selection and the time of
the fix shown (no database: pure functions over typed rows)."""

from __future__ import annotations

from dataclasses import dataclass

from state.dispatch_map import fleet_markers


@dataclass(frozen=True)
class Row:
    driver_id: int
    name: str
    status: str
    status_label: str
    lat: float
    lng: float
    has_position: bool
    seen_at: float = 0.0


def test_a_marker_per_driver_named_with_status_selection_and_fix_time() -> None:
    fleet = [
        Row(1, "Ann Able", "on_route", "on route", 41.9, -87.6, True, 1700000000.5),
        Row(2, "Bo Best", "available", "available", 0.0, 0.0, False),  # no GPS fix yet
        Row(3, "Cy Cole", "on_break", "on break", 41.8, -87.7, True, 1700000002.0),
    ]
    markers = fleet_markers(fleet, selected="3")
    # Bo has a marker too, hidden by the map until a fix is pushed to the page.
    assert [(m.id, m.title, m.selected, m.has_position) for m in markers] == [
        ("1", "Ann Able, on route", False, True),
        ("2", "Bo Best, available", False, False),
        ("3", "Cy Cole, on break", True, True),
    ]
    # The fix time lets the page keep the newer of this snapshot and a pushed fix.
    assert [m.seen_at for m in markers] == [1700000000.5, 0.0, 1700000002.0]
    assert markers[0].glyph == "AA" and markers[0].color != markers[2].color
