"""Public tracking page: no login, no PII beyond first name and city; live while open."""

from __future__ import annotations

from dataclasses import dataclass

import reflex as rx

from logistics_ai.domain.errors import NotFound
from logistics_ai.services import live_updates
from logistics_ai.services.public_tracking import (
    LiveTracking,
    PublicPosition,
    PublicTracking,
    live_track,
)
from state.formatting import hhmm, when, window
from state.live_watch import watch_live
from state.map_rows import DESTINATION_COLOR, DRIVER_COLORS, MapMarker
from state.service import Failed, run


@dataclass(frozen=True)
class TrackingEventRow:
    status: str
    label: str
    when: str
    note: str


class TrackingState(rx.State):
    found: rx.Field[bool] = rx.field(False)
    loaded: rx.Field[bool] = rx.field(False)
    code: rx.Field[str] = rx.field("")
    status: rx.Field[str] = rx.field("")
    status_label: rx.Field[str] = rx.field("")
    first_name: rx.Field[str] = rx.field("")
    city: rx.Field[str] = rx.field("")
    delivery_window: rx.Field[str] = rx.field("")
    eta: rx.Field[str] = rx.field("")
    events: rx.Field[list[TrackingEventRow]] = rx.field(default_factory=list)
    # The carrying driver's position, only while the privacy rule allows it
    # (services/public_tracking.py); otherwise the page shows the status text alone.
    driver_visible: rx.Field[bool] = rx.field(False)
    driver_lat: rx.Field[float] = rx.field(0.0)
    driver_lng: rx.Field[float] = rx.field(0.0)
    # The delivery area, already coarsened by the service ([] before the first load).
    area: rx.Field[list[float]] = rx.field(default_factory=list)

    @rx.var
    def map_markers(self) -> list[MapMarker]:
        """The area and, only while `driver_visible`, the driver: the page's map."""
        markers = []
        if len(self.area) == 2:
            markers.append(
                MapMarker(
                    "destination",
                    self.area[0],
                    self.area[1],
                    "Delivery area (approximate)",
                    DESTINATION_COLOR,
                    "",
                    False,
                )
            )
        if self.driver_visible:
            markers.append(
                MapMarker(
                    "driver",
                    self.driver_lat,
                    self.driver_lng,
                    "Your driver's position",
                    DRIVER_COLORS["on_route"],
                    "→",
                    False,
                )
            )
        return markers

    @rx.event
    async def load(self) -> None:
        # /track/<code>, or /track/?code=<code> from a form
        path_code = self.router.url.path.rstrip("/").rsplit("/", 1)[-1]
        code = self.router.url.query_parameters.get("code") or path_code
        self.code = code
        result = await run(lambda session: live_track(session, code))
        self.loaded = True
        if isinstance(result, Failed):
            if not isinstance(result.error, NotFound):
                raise result.error
            self.found = False
            return
        live: LiveTracking = result.value
        self._show(live.view)
        self._place(live.position)
        await watch_live(
            self, live_updates.Audience.tracking(live.view.tracking_code), live.carrier_id
        )

    def _show(self, view: PublicTracking) -> None:
        self.found = True
        self.code = view.tracking_code
        self.status = view.status
        self.status_label = view.status_label
        self.first_name = view.recipient_first_name
        self.city = view.destination_city
        self.delivery_window = window(view.window_start, view.window_end)
        self.area = [view.area_lat, view.area_lon]
        self.eta = hhmm(view.eta) if view.status not in ("delivered", "failed", "cancelled") else ""
        self.events = [
            TrackingEventRow(e.status, e.label, when(e.occurred_at), e.note or "")
            for e in reversed(view.events)
        ]

    def _place(self, position: PublicPosition | None) -> None:
        self.driver_visible = position is not None
        self.driver_lat = position.lat if position else 0.0
        self.driver_lng = position.lon if position else 0.0

    def _apply_live(self, delta: live_updates.TrackingDelta) -> None:
        if delta.view is not None:
            self._show(delta.view)
        self._place(delta.position)
