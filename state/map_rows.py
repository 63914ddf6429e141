"""Typed rows the live map draws (components/live_map.py), and the tile settings it reads.

Colours live here, next to the rows, so every page colours a status the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

import reflex as rx

from logistics_ai.settings import get_settings

# Driver shift status -> marker colour (white border, so each reads on any tile).
DRIVER_COLORS = {
    "on_route": "#3e63dd",  # indigo, the app's accent
    "available": "#18794e",
    "on_break": "#ad5700",
    "off_duty": "#60646c",
}
# Stop status -> square colour; a late-risk stop also gets a red ring.
STOP_COLORS = {
    "pending": "#3e63dd",
    "arrived": "#ad5700",
    "done": "#18794e",
    "failed": "#ce2c31",
    "skipped": "#60646c",
}
# A distinct line per route, picked by driver id.
ROUTE_COLORS = ("#3e63dd", "#0d74ce", "#8e4ec6", "#12a594", "#d6409f", "#ad5700", "#5b5bd6")
DESTINATION_COLOR = "#ce2c31"


@dataclass(frozen=True)
class MapMarker:
    """A clickable point: a driver, my own position, a chosen address."""

    id: str
    lat: float
    lon: float
    title: str  # the marker's accessible name (title and alt)
    color: str
    glyph: str  # one or two letters drawn inside the dot
    selected: bool
    # A driver's marker also follows the fixes pushed to the page (components/live_map.jsx):
    # `seen_at` (epoch s) is when the fix in lat/lon was taken, so the newer one is drawn; a
    # driver with no fix yet has a marker only once one is pushed.
    seen_at: float = 0.0
    has_position: bool = True


@dataclass(frozen=True)
class MapStopDot:
    id: str
    lat: float
    lon: float
    title: str
    color: str
    late: bool
    shipment_id: int = 0  # lets a pushed shipment change recolour its stops
    kind: str = ""
    status: str = ""
    driver_id: int = 0  # lets a pushed route change replace that route's stops


@dataclass(frozen=True)
class MapLine:
    id: str
    points: list[list[float]]
    color: str
    selected: bool


def initials(name: str) -> str:
    parts = [p for p in name.split() if p]
    return "".join(p[0] for p in parts[:2]).upper()


def route_color(driver_id: int) -> str:
    return ROUTE_COLORS[driver_id % len(ROUTE_COLORS)]


class MapConfigState(rx.State):
    """Tile settings read at run time (the exported frontend is built once, settings vary)."""

    @rx.var
    def tile_url(self) -> str:
        return get_settings().map_tile_url

    @rx.var
    def attribution(self) -> str:
        return get_settings().map_attribution
