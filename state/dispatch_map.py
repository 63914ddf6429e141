"""The dispatch map's rows: driver markers from the fleet rows, stops and route lines of the day.

Pure functions over typed rows, so `DispatchState` stays thin. The same rows serve the board's
read and the routes pushed to an open dashboard when they change (state/live.py); merging those
into the map happens on the page (components/live_store.js).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Protocol

from logistics_ai.services import live_map
from state.map_rows import (
    DRIVER_COLORS,
    STOP_COLORS,
    MapLine,
    MapMarker,
    MapStopDot,
    initials,
    route_color,
)

KIND_LABELS = {"pickup": "Pickup", "dropoff": "Drop-off"}


class Located(Protocol):
    """What a fleet row offers the map (state.dispatch.FleetRow)."""

    @property
    def driver_id(self) -> int: ...
    @property
    def name(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def status_label(self) -> str: ...
    @property
    def lat(self) -> float: ...
    @property
    def lng(self) -> float: ...
    @property
    def has_position(self) -> bool: ...
    @property
    def seen_at(self) -> float: ...


def fleet_markers(fleet: Iterable[Located], selected: str) -> list[MapMarker]:
    """One marker per driver, coloured by shift status, named for readers; drawn once the
    driver has a position (read here or pushed to the page later)."""
    return [
        MapMarker(
            id=str(row.driver_id),
            lat=row.lat,
            lon=row.lng,
            title=f"{row.name}, {row.status_label}",
            color=DRIVER_COLORS.get(row.status, DRIVER_COLORS["off_duty"]),
            glyph=initials(row.name),
            selected=str(row.driver_id) == selected,
            seen_at=row.seen_at,
            has_position=row.has_position,
        )
        for row in fleet
    ]


def _stop_title(kind: str, code: str, status: str, late: bool, driver: str) -> str:
    risk = ", late risk" if late else ""
    return f"{KIND_LABELS.get(kind, kind)} {code}, {status}{risk} ({driver})"


def stop_dots(day: live_map.DayMap, names: Mapping[int, str]) -> list[MapStopDot]:
    return [
        MapStopDot(
            id=str(stop.stop_id),
            lat=stop.lat,
            lon=stop.lon,
            title=_stop_title(
                stop.kind,
                stop.tracking_code,
                stop.status,
                stop.late_risk,
                names.get(stop.driver_id, ""),
            ),
            color=STOP_COLORS.get(stop.status, STOP_COLORS["pending"]),
            late=stop.late_risk,
            shipment_id=stop.shipment_id,
            kind=stop.kind,
            status=stop.status,
            driver_id=stop.driver_id,
        )
        for stop in day.stops
    ]


def route_lines(day: live_map.DayMap) -> list[MapLine]:
    return [
        MapLine(
            id=str(route.driver_id),
            points=[[lat, lon] for lat, lon in route.points],
            color=route_color(route.driver_id),
            selected=False,
        )
        for route in day.routes
    ]
