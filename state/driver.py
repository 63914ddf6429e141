"""Driver app: today's stops in order, shift status and stop events."""

from __future__ import annotations

from dataclasses import dataclass

import reflex as rx
from reflex.event import EventSpec
from sqlmodel import Session

from logistics_ai.domain import clock
from logistics_ai.domain.actors import Actor
from logistics_ai.domain.errors import NotFound
from logistics_ai.models import DriverStatus, Role, StopKind
from logistics_ai.services import drivers, live_updates
from logistics_ai.services.shipment_status import OPEN_STOP
from state.auth import AuthState
from state.formatting import hhmm, window
from state.live_watch import watch_live
from state.map_rows import (
    DESTINATION_COLOR,
    DRIVER_COLORS,
    STOP_COLORS,
    MapLine,
    MapMarker,
    MapStopDot,
)
from state.service import Failed

DRIVER = (Role.driver,)


@dataclass(frozen=True)
class StopRow:
    id: int
    shipment_id: int
    sequence: int
    kind: str
    kind_label: str
    status: str
    address: str
    window: str
    tracking_code: str
    recipient: str
    notes: str
    weight: str
    maps_url: str
    failure_reason: str
    eta: str
    late: bool
    lat: float
    lon: float


def stop_row(index: int, view: drivers.StopView) -> StopRow:
    lat, lon = view.position
    return StopRow(
        id=view.stop.id or 0,
        shipment_id=view.shipment.id or 0,
        sequence=index + 1,
        kind=view.stop.kind,
        kind_label="Pickup" if view.stop.kind == StopKind.pickup else "Drop-off",
        status=view.stop.status,
        address=view.address,
        window=window(*view.window),
        tracking_code=view.shipment.tracking_code,
        recipient=view.shipment.recipient_name,
        notes=view.shipment.notes or "",
        weight=f"{view.shipment.weight_kg:g} kg",
        maps_url=f"https://www.google.com/maps/dir/?api=1&destination={lat},{lon}",
        failure_reason=view.stop.failure_reason or "",
        eta=hhmm(view.stop.planned_arrival),
        late=bool(view.stop.late_risk),
        lat=lat,
        lon=lon,
    )


def _my_driver_id(actor: Actor) -> int:
    if actor.driver_id is None:
        raise NotFound("This account has no driver profile.")
    return actor.driver_id


@dataclass(frozen=True)
class MyDay:
    stops: list[drivers.StopView]
    status: str
    driver_id: int
    position: list[float]  # my last GPS fix as [lat, lon]; [] before the first


def _my_day(session: Session, actor: Actor) -> MyDay:
    driver_id = _my_driver_id(actor)
    views = drivers.stops_for_day(session, actor, driver_id, clock.today_local())
    me = session.get(drivers.Driver, driver_id)
    position = []
    if me is not None and me.last_lat is not None and me.last_lon is not None:
        position = [me.last_lat, me.last_lon]
    return MyDay(views, me.status if me else "", driver_id, position)


# The map shows the next few open stops: the whole day would clutter a phone screen.
MAP_NEXT_STOPS = 5


class DriverState(AuthState):
    stops: rx.Field[list[StopRow]] = rx.field(default_factory=list)
    shift_status: rx.Field[str] = rx.field("")
    # My last reported position ([] before the first GPS report), for the map.
    position: rx.Field[list[float]] = rx.field(default_factory=list)

    @rx.var
    def next_stops(self) -> list[StopRow]:
        return [stop for stop in self.stops if stop.status in OPEN_STOP][:MAP_NEXT_STOPS]

    @rx.var
    def map_me(self) -> list[MapMarker]:
        if len(self.position) != 2:
            return []
        color = DRIVER_COLORS.get(self.shift_status, DRIVER_COLORS["on_route"])
        lat, lon = self.position
        return [MapMarker("me", lat, lon, "My position", color, "Me", False)]

    @rx.var
    def map_next_stops(self) -> list[MapStopDot]:
        return [
            MapStopDot(
                id=str(stop.id),
                lat=stop.lat,
                lon=stop.lon,
                title=f"Stop {stop.sequence}: {stop.kind_label}, {stop.address}",
                # The very next stop stands out.
                color=DESTINATION_COLOR if index == 0 else STOP_COLORS["pending"],
                late=stop.late,
            )
            for index, stop in enumerate(self.next_stops)
        ]

    @rx.var
    def map_path(self) -> list[MapLine]:
        """From my position through my next stops, in driving order."""
        points = [self.position] if len(self.position) == 2 else []
        points += [[stop.lat, stop.lon] for stop in self.next_stops]
        if len(points) < 2:
            return []
        return [MapLine("next", points, STOP_COLORS["pending"], False)]

    @rx.var
    def open_stop_count(self) -> int:
        return sum(1 for stop in self.stops if stop.status in OPEN_STOP)

    @rx.event
    async def load(self) -> EventSpec | None:
        return await self._guard(DRIVER) or await self._refresh()

    async def _refresh(self) -> EventSpec | None:
        result = await self._call(_my_day, DRIVER)
        if isinstance(result, Failed):
            return result.event
        day: MyDay = result.value
        self.shift_status, self.position = day.status, day.position
        self.stops = [stop_row(index, view) for index, view in enumerate(day.stops)]
        await watch_live(self, live_updates.Audience.driver(day.driver_id))
        return None

    def _apply_live(self, delta: live_updates.DriverDelta) -> None:
        """Dispatch assigned, moved or reordered my stops, or their ETAs changed."""
        self.stops = [stop_row(index, view) for index, view in enumerate(delta.stops)]
        self.shift_status = delta.shift_status

    @rx.event
    async def set_shift_status(self, value: str) -> EventSpec | None:
        if value not in {status.value for status in DriverStatus}:
            return rx.toast.error("Unknown shift status.")
        status = DriverStatus(value)
        result = await self._call(lambda s, actor: drivers.set_own_status(s, actor, status), DRIVER)
        if isinstance(result, Failed):
            return result.event
        self.shift_status = value
        return None

    @rx.event
    async def refresh(self) -> EventSpec | None:
        """After the phone's outbox sent its queued stop actions (assets/driver_app.js)."""
        return await self._refresh()
