"""The dispatch map's rows: which drivers get a marker, selection, and stops recoloured by a
pushed shipment change (no database: pure functions over typed rows)."""

from __future__ import annotations

from dataclasses import dataclass

from state.dispatch_map import fleet_markers, restyle_stops, with_selection
from state.map_rows import STOP_COLORS, MapLine, MapStopDot


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


@dataclass(frozen=True)
class Changed:
    id: int | None
    status: str


def _dot(stop_id: int, shipment_id: int, kind: str, status: str = "pending") -> MapStopDot:
    return MapStopDot(
        id=str(stop_id),
        lat=41.9,
        lon=-87.6,
        title=f"{kind} LA1, {status}, late risk (Ann)",
        color=STOP_COLORS[status],
        late=True,
        shipment_id=shipment_id,
        kind=kind,
        status=status,
    )


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


def test_selected_route_line_only() -> None:
    lines = [MapLine("1", [[41.9, -87.6]], "#000", False), MapLine("2", [], "#000", False)]
    assert [line.selected for line in with_selection(lines, "2")] == [False, True]


def test_pushed_shipments_recolour_their_stops() -> None:
    dots = [_dot(10, 7, "pickup"), _dot(11, 7, "dropoff"), _dot(12, 8, "pickup")]
    picked = restyle_stops(dots, [Changed(7, "picked_up")])
    assert [d.status for d in picked] == ["done", "pending", "pending"]
    assert picked[0].color == STOP_COLORS["done"] and not picked[0].late
    assert picked[0].title == "pickup LA1, done (Ann)"
    delivered = restyle_stops(picked, [Changed(7, "delivered")])
    assert [d.status for d in delivered] == ["done", "done", "pending"]
    failed = restyle_stops(delivered, [Changed(8, "failed")])
    assert failed[2].status == "failed" and failed[2].color == STOP_COLORS["failed"]
    assert restyle_stops(dots, [Changed(99, "delivered")]) is dots  # not on the map
