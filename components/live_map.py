"""The live map: Leaflet (react-leaflet 5, for Reflex 0.10's React 19) as a Reflex component.

`live_map.jsx` next to this file is the React side; it is linked into the app's assets by
`rx.asset(shared=True)` and imported on the client only (Leaflet touches `window`), so server
rendering and the static export never load it. Leaflet's stylesheet is imported by the JSX
module itself. Markers, stops and lines are typed rows from state (state/map_rows.py); the
tile URL and attribution come from settings at run time (MapConfigState), and an empty tile
URL draws everything on a plain background.
"""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex_base.event import passthrough_event_spec

from state.map_rows import MapConfigState, MapLine, MapMarker, MapStopDot

_JSX = rx.asset("live_map.jsx", shared=True)
# Imported by the JSX module (`./live_store.js`, `./leaflet_2d.js`): linked next to it.
rx.asset("live_store.js", shared=True)
rx.asset("leaflet_2d.js", shared=True)


class _LiveMapModule(rx.NoSSRComponent):
    """A component exported by live_map.jsx (client only: Leaflet touches `window`)."""

    library = _JSX.importable_path
    # The JSX module's own imports: installed with the app's frontend packages (reflex.lock).
    lib_dependencies: list[str] = ["react-leaflet@5.0.0", "leaflet@1.9.4"]


class LiveMap(_LiveMapModule):
    tag = "LiveMap"

    markers: rx.Var[list[MapMarker]]
    lines: rx.Var[list[MapLine]]
    stops: rx.Var[list[MapStopDot]]
    tile_url: rx.Var[str]
    attribution: rx.Var[str]
    label: rx.Var[str]
    center: rx.Var[list[float]]
    zoom: rx.Var[int]
    height: rx.Var[str]
    # The dashboard's map: driver markers follow the fixes pushed to the page, and routes
    # pushed for `routes_day` after `routes_read_at` (epoch s of the snapshot's read) replace
    # the snapshot's (components/live_store.js).
    follow_fleet: rx.Var[bool]
    routes_day: rx.Var[str]
    routes_read_at: rx.Var[float]
    # The route line drawn highlighted (a driver id, "" for none).
    selected_line: rx.Var[str]

    # Reflex reads the spec at run time; mypy does not know EventHandler's subscript form.
    on_select: rx.EventHandler[passthrough_event_spec(str)]  # type: ignore[type-arg,valid-type]  # Reflex idiom


def live_map(
    label: str,
    *,
    markers: rx.Var[list[MapMarker]] | list[MapMarker] | None = None,
    lines: rx.Var[list[MapLine]] | list[MapLine] | None = None,
    stops: rx.Var[list[MapStopDot]] | list[MapStopDot] | None = None,
    height: str = "360px",
    **props: Any,
) -> rx.Component:
    """A map named `label` for screen readers (the container's aria-label)."""
    return LiveMap.create(
        markers=markers if markers is not None else [],
        lines=lines if lines is not None else [],
        stops=stops if stops is not None else [],
        tile_url=MapConfigState.tile_url,
        attribution=MapConfigState.attribution,
        label=label,
        height=height,
        **props,
    )


class LiveFleetItem(_LiveMapModule):
    """A row (`<li>`) of the dashboard's Drivers list carrying the DOM contract of
    docs/realtime.md (`data-driver-id`, `data-lat`, `data-lng`, `data-status`), with the
    driver's position and shift status following what is pushed to the page, like the map's
    markers do. `day` and `read_at`: the board's day and when it was read."""

    tag = "LiveFleetItem"

    driver_id: rx.Var[int]
    lat_text: rx.Var[str]
    lng_text: rx.Var[str]
    seen_at: rx.Var[float]
    status: rx.Var[str]
    day: rx.Var[str]
    read_at: rx.Var[float]


class LiveFleetText(_LiveMapModule):
    """One field of a driver's fleet row as text (`field`: "statusLabel" or "progress"): the
    row pushed to the page when it was read after the board, else the board's `text`."""

    tag = "LiveFleetText"

    driver_id: rx.Var[int]
    field: rx.Var[str]
    text: rx.Var[str]
    day: rx.Var[str]
    read_at: rx.Var[float]
