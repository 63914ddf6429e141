"""Dispatch dashboard: the shipment board, the fleet and manual assignment."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import reflex as rx
from reflex.event import EventSpec
from sqlmodel import Session

from logistics_ai.domain import clock
from logistics_ai.domain.actors import Actor
from logistics_ai.models import Driver, Role, Shipment, Stop
from logistics_ai.services import (
    assignment,
    dispatch_insert,
    dispatch_planning,
    drivers,
    eta_updates,
    live_board,
    live_map,
    live_updates,
    shipments,
)
from logistics_ai.services.shipment_status import ASSIGNABLE
from logistics_ai.settings import get_settings
from state import dispatch_map
from state.auth import AuthState
from state.formatting import ShipmentRow, hhmm, hours_minutes, shipment_row
from state.live_watch import watch_live
from state.map_rows import MapLine, MapMarker, MapStopDot
from state.service import Failed, run_signed_in

STAFF = (Role.dispatcher, Role.admin)
__all__ = ["ASSIGNABLE", "AutoDispatchState", "DispatchState"]  # the page reads ASSIGNABLE
PAGE_SIZE = 25


@dataclass(frozen=True)
class FleetRow:
    """One driver on the board and on the map. The page renders it with the attributes
    data-driver-id, data-lat/data-lng (`lat_text`/`lng_text`, "" before the first GPS fix)
    and data-status, which the live map and `bench realtime` read."""

    driver_id: int
    name: str
    status: str
    status_label: str
    vehicle: str
    skills: str
    progress: str
    lat: float
    lng: float
    lat_text: str
    lng_text: str
    has_position: bool
    late_risk: int
    seen_at: float  # epoch seconds of the GPS fix shown (0.0: none), to refuse older ones


def coordinate(value: float | None) -> str:
    return f"{value:.5f}" if value is not None else ""


def fleet_row(row: drivers.DriverRow) -> FleetRow:
    return FleetRow(
        driver_id=row.id,
        name=row.name,
        status=row.status,
        status_label=row.status.replace("_", " "),
        vehicle=row.vehicle,
        skills=row.skills or "—",
        progress=f"{row.stops_done_today}/{row.stops_today}",
        lat=row.lat or 0.0,
        lng=row.lon or 0.0,
        lat_text=coordinate(row.lat),
        lng_text=coordinate(row.lon),
        has_position=row.lat is not None and row.lon is not None,
        late_risk=row.late_risk,
        seen_at=datetime.fromisoformat(row.last_seen).timestamp() if row.last_seen else 0.0,
    )


@dataclass(frozen=True)
class KpiTiles:
    open: int
    in_transit: int
    delivered_today: int
    on_time_rate: str
    late_risk: int


def kpi_tiles(kpis: live_board.Kpis) -> KpiTiles:
    return KpiTiles(
        open=kpis.open,
        in_transit=kpis.in_transit,
        delivered_today=kpis.delivered_today,
        on_time_rate=kpis.on_time_rate,
        late_risk=kpis.late_risk,
    )


@dataclass(frozen=True)
class AlertRow:
    code: str
    stop: str
    driver: str
    eta: str
    window_end: str


@dataclass(frozen=True)
class PlanRouteRow:
    driver: str
    vehicle: str
    stops: int
    distance: str
    duration: str
    load: str
    sequence: str


@dataclass(frozen=True)
class UnplacedRow:
    code: str
    reason: str


@dataclass(frozen=True)
class Board:
    """Everything the dashboard shows, read in one unit of work."""

    shipments: shipments.ShipmentPage
    fleet: list[drivers.DriverRow]
    late: list[tuple[Stop, Shipment, Driver]]
    kpis: live_board.Kpis
    day_map: live_map.DayMap


def _board(session: Session, actor: Actor, filters: dict[str, Any], day: date | None) -> Board:
    today = day or clock.today_local()
    return Board(
        shipments.list_shipments(session, actor, filters),
        drivers.fleet_board(session, actor, today),
        eta_updates.late_alerts(session, actor, today),
        live_board.kpis(session, actor, today),
        live_map.day_map(session, actor, today),
    )


class DispatchMapState(AuthState):
    """The dashboard's map and Drivers list as the board last read them: the fleet rows, the
    day's stops and route lines, and the driver picked on either (fixes, fleet rows and
    routes changed since reach the page's live stores, state/live.py).

    A state of its own, not part of DispatchState, for both ends of a live write of tiles or
    shipment rows (which loads and re-renders DispatchState): the server no longer unpickles
    the 200-row fleet and every stop of the day for it (most of the event loop's stalls at 20
    dashboards x 200 drivers), and the page no longer re-renders the Drivers list and the map
    (docs/realtime.md)."""

    fleet: rx.Field[list[FleetRow]] = rx.field(default_factory=list)
    map_stops: rx.Field[list[MapStopDot]] = rx.field(default_factory=list)
    map_routes: rx.Field[list[MapLine]] = rx.field(default_factory=list)
    # The day and the time (epoch s) the board read these for: pushes for that day read
    # later replace them on the page, so a change does not re-send the whole fleet or every
    # stop of the day.
    map_day: rx.Field[str] = rx.field("")
    map_read_at: rx.Field[float] = rx.field(0.0)
    selected_driver: rx.Field[str] = rx.field("")  # "" = none

    @rx.var
    def fleet_markers(self) -> list[MapMarker]:
        return dispatch_map.fleet_markers(self.fleet, self.selected_driver)

    @rx.event
    async def select_driver(self, driver_id: str) -> None:
        """A marker or a Drivers-list click selects that driver; the same again clears it."""
        self.selected_driver = "" if driver_id == self.selected_driver else driver_id


class DispatchKpiState(AuthState):
    """The dashboard's KPI tiles, for the day the board shows. A state of its own: the tiles
    change with nearly every live event, and in DispatchState each change re-rendered the
    shipment table on every dashboard (with a driver picker of the whole fleet per row) and
    loaded the table's rows on the server (docs/realtime.md)."""

    kpis: rx.Field[KpiTiles] = rx.field(
        default_factory=lambda: KpiTiles(0, 0, 0, "—", 0)  # before the first load
    )
    kpi_day: rx.Field[str] = rx.field("")  # the day the tiles were read for

    def _apply_live(self, delta: live_updates.StaffDelta) -> None:
        if delta.kpis is not None and self.kpi_day == delta.day.isoformat():
            self.kpis = kpi_tiles(delta.kpis)


class DispatchState(AuthState):
    rows: rx.Field[list[ShipmentRow]] = rx.field(default_factory=list)
    status_filter: rx.Field[str] = rx.field("all")
    date_filter: rx.Field[str] = rx.field("")
    search_text: rx.Field[str] = rx.field("")
    page: rx.Field[int] = rx.field(1)
    total: rx.Field[int] = rx.field(0)
    total_exact: rx.Field[bool] = rx.field(True)  # False: more than `total` match
    loading: rx.Field[bool] = rx.field(False)
    notice: rx.Field[str] = rx.field("")
    alerts: rx.Field[list[AlertRow]] = rx.field(default_factory=list)
    # Shipments pushed live that belong on this tab's board but are not on the shown page
    # (new bookings, or rows that moved into the status filter). The board is a filtered,
    # paged query, so they are announced rather than spliced in; "Show" re-reads the page.
    unseen_ids: rx.Field[list[int]] = rx.field(default_factory=list)

    @rx.var
    def unseen_count(self) -> int:
        return len(self.unseen_ids)

    @rx.var
    def page_count(self) -> int:
        return max(1, -(-self.total // PAGE_SIZE))

    @rx.var
    def range_label(self) -> str:
        if self.total == 0:
            return "No shipments match"
        first = (self.page - 1) * PAGE_SIZE + 1
        last = min(self.total, self.page * PAGE_SIZE)
        return f"{first}–{last} of {self.total}" + ("" if self.total_exact else "+")

    @rx.event
    async def load(self) -> EventSpec | None:
        if not self.date_filter:
            self.date_filter = clock.today_local().isoformat()
        return await self._guard(STAFF) or await self._refresh()

    def _filters(self) -> dict[str, Any]:
        day = date.fromisoformat(self.date_filter) if self.date_filter else None
        return {
            "status": None if self.status_filter == "all" else self.status_filter,
            "date_from": day,
            "date_to": day,
            "search": self.search_text or None,
            "page": self.page,
            "page_size": PAGE_SIZE,
        }

    def _show_page(self, page: shipments.ShipmentPage) -> None:
        self.rows = [shipment_row(s) for s in page.items]
        self.total = page.total
        self.total_exact = page.total_exact
        self.unseen_ids = []

    async def _refresh(self) -> EventSpec | None:
        """Read the whole board for the shown day: the shipment page and what depends on the
        day alone (fleet, map, late alerts, tiles). On load, a new day, and after a change
        to assignments."""
        filters = self._filters()
        day = filters["date_from"]
        read_at = time.time()  # before the read: a route pushed after it is at least as new
        result = await self._call(lambda s, actor: _board(s, actor, filters, day), STAFF)
        if isinstance(result, Failed):
            return result.event
        board = result.value
        await watch_live(self, live_updates.Audience.staff())
        self._show_page(board.shipments)
        names = {row.id: row.name for row in board.fleet}
        self.alerts = [
            AlertRow(
                code=shipment.tracking_code,
                stop="pickup" if stop.kind == "pickup" else "drop-off",
                driver=names.get(driver.id or 0, ""),
                eta=hhmm(stop.planned_arrival),
                window_end=hhmm(
                    shipment.pickup_window_end
                    if stop.kind == "pickup"
                    else shipment.dropoff_window_end
                ),
            )
            for stop, shipment, driver in board.late
        ]
        tiles = await self.get_state(DispatchKpiState)
        tiles.kpis = kpi_tiles(board.kpis)
        tiles.kpi_day = self.date_filter
        mapped = await self.get_state(DispatchMapState)
        mapped.fleet = [fleet_row(row) for row in board.fleet]
        mapped.map_stops = dispatch_map.stop_dots(board.day_map, names)
        mapped.map_routes = dispatch_map.route_lines(board.day_map)
        mapped.map_day = self.date_filter
        mapped.map_read_at = read_at
        return None

    async def _refresh_page(self) -> EventSpec | None:
        """Read only the shipment page: a status filter, a search or another page changes
        nothing else on the board (the fleet, the map, the alerts and the tiles are the
        day's, kept current by live pushes). Re-reading the whole board for them read four
        more queries and re-sent the 200-row fleet and every stop of the day, re-rendering
        the Drivers list and the map (docs/realtime.md, Round 12)."""
        filters = self._filters()
        result = await self._call(
            lambda s, actor: shipments.list_shipments(s, actor, filters), STAFF
        )
        if isinstance(result, Failed):
            return result.event
        self._show_page(result.value)
        return None

    def _apply_live(self, delta: live_updates.StaffDelta) -> None:
        """One pushed delta's re-read shipment rows (see docs/realtime.md). GPS fixes, fleet
        rows and changed routes never come this way: state/live.py hands them to the page's
        live stores (components/live_store.js); the tiles are DispatchKpiState's."""
        if delta.shipments:
            fresh_rows = {s.id: shipment_row(s) for s in delta.shipments}
            if any(row.id in fresh_rows for row in self.rows):
                self.rows = [fresh_rows.get(row.id, row) for row in self.rows]
            shown = {row.id for row in self.rows} | set(self.unseen_ids)
            status = None if self.status_filter == "all" else self.status_filter
            arrived = [
                s.id
                for s in delta.shipments
                if s.id is not None
                and s.id not in shown
                and s.service_date.isoformat() == self.date_filter
                and (status is None or s.status == status)
                and not self.search_text  # a search shows what was asked for, nothing more
            ]
            if arrived:
                self.unseen_ids = [*self.unseen_ids, *arrived]

    @rx.event
    async def show_unseen(self) -> EventSpec | None:
        """Re-read the board page so the announced shipments appear (first page first)."""
        self.page = 1
        return await self._refresh_page()

    @rx.event
    async def set_status_filter(self, value: str) -> EventSpec | None:
        self.status_filter = value
        self.page = 1
        return await self._refresh_page()

    @rx.event
    async def set_date_filter(self, value: str) -> EventSpec | None:
        try:
            date.fromisoformat(value)
        except ValueError:
            return rx.toast.error("Pick a date.")
        self.date_filter = value
        self.page = 1
        return await self._refresh()

    @rx.event
    async def apply_search(self, form_data: dict[str, str]) -> EventSpec | None:
        self.search_text = (form_data.get("search") or "").strip()[:100]
        self.page = 1
        return await self._refresh_page()

    @rx.event
    async def go_to_page(self, page: int) -> EventSpec | None:
        self.page = min(max(1, page), self.page_count)
        return await self._refresh_page()

    @rx.event
    async def auto_assign(self, shipment_id: int) -> EventSpec | None:
        result = await self._call(
            lambda s, actor: dispatch_insert.auto_assign(s, actor, shipment_id), STAFF
        )
        if isinstance(result, Failed):
            return result.event
        inserted = result.value
        message = (
            f"{inserted.shipment.tracking_code} inserted into a route "
            f"(+{inserted.added_distance_m / 1000:.1f} km)"
        )
        return await self._refresh() or rx.toast.success(message)

    @rx.event
    async def assign(self, shipment_id: int, driver_id: str) -> EventSpec | None:
        """Assign to a driver, or with driver_id "none" return to the unassigned queue."""
        if not driver_id:
            return None

        def change(session: Session, actor: Actor) -> str:
            if driver_id == "none":
                shipment = assignment.unassign_shipment(session, actor, shipment_id)
                return f"{shipment.tracking_code} returned to the unassigned queue"
            shipment = assignment.assign_shipment(session, actor, int(shipment_id), int(driver_id))
            return f"{shipment.tracking_code} assigned"

        if driver_id != "none" and not driver_id.isdigit():
            return rx.toast.error("Unknown driver.")
        result = await self._call(change, STAFF)
        refreshed = await self._refresh()
        if isinstance(result, Failed):
            return result.event
        self.notice = result.value
        return refreshed or rx.toast.success(result.value)


class AutoDispatchState(DispatchState):
    """Auto-dispatch: solve in the background with progress, preview, apply on confirmation."""

    planning: rx.Field[bool] = rx.field(False)
    plan_elapsed: rx.Field[float] = rx.field(0.0)
    plan_budget: rx.Field[float] = rx.field(0.0)
    plan_id: rx.Field[str] = rx.field("")
    plan_summary: rx.Field[str] = rx.field("")
    plan_routes: rx.Field[list[PlanRouteRow]] = rx.field(default_factory=list)
    plan_unassigned: rx.Field[list[UnplacedRow]] = rx.field(default_factory=list)
    applying: rx.Field[bool] = rx.field(False)

    @rx.var
    def plan_progress(self) -> int:
        if self.plan_budget <= 0:
            return 0
        return min(99, int(100 * self.plan_elapsed / self.plan_budget))

    @rx.event(background=True)
    async def auto_dispatch(self) -> AsyncIterator[EventSpec]:
        """Solve in a worker thread; the state lock is held only for the short mutations."""
        async with self:
            if self.planning:
                return
            caller = self._caller()
            day = date.fromisoformat(self.date_filter) if self.date_filter else None
            self.planning, self.plan_elapsed, self.plan_id = True, 0.0, ""
            self.plan_budget = get_settings().dispatch_budget_seconds

        loop = asyncio.get_running_loop()
        started = loop.time()
        job = asyncio.ensure_future(
            run_signed_in(caller, lambda s, actor: dispatch_planning.preview(s, actor, day), STAFF)
        )
        while not job.done():
            await asyncio.sleep(0.25)
            async with self:
                self.plan_elapsed = round(loop.time() - started, 1)
        result = job.result()
        async with self:
            self.planning = False
            if isinstance(result, Failed):
                if result.signed_out:
                    await self._forget_user()
            else:
                self._show_plan(result.value[0])
        if isinstance(result, Failed):
            yield result.event

    def _show_plan(self, plan: dispatch_planning.PlanPreview) -> None:
        self.plan_id = plan.plan_id
        self.plan_summary = (
            f"{len(plan.routes)} routes · {plan.total_distance_m / 1000:.1f} km · "
            f"{plan.newly_assigned} newly assigned, {plan.reassigned} moved to another "
            f"driver, {plan.unchanged} unchanged, {len(plan.unassigned)} not placed · "
            f"solved in {plan.runtime_s:.1f} s"
        )
        self.plan_routes = [
            PlanRouteRow(
                driver=route.driver_name,
                vehicle=route.vehicle,
                stops=len(route.stops),
                distance=f"{route.distance_m / 1000:.1f} km",
                duration=hours_minutes(route.duration_s),
                load=f"{route.max_load_kg} / {route.capacity_kg:g} kg",
                sequence=" → ".join(
                    f"{'P' if s.kind == 'pickup' else 'D'} {s.tracking_code[-4:]}"
                    for s in route.stops
                ),
            )
            for route in plan.routes
        ]
        self.plan_unassigned = [
            UnplacedRow(item["tracking_code"], item["reason"].replace("_", " "))
            for item in plan.unassigned
        ]

    @rx.event
    async def discard_plan(self) -> None:
        self.plan_id = ""

    @rx.event
    async def apply_plan(self) -> EventSpec | None:
        plan_id, self.plan_id = self.plan_id, ""
        result = await self._call(
            lambda s, actor: dispatch_planning.apply(s, actor, plan_id), STAFF
        )
        if isinstance(result, Failed):
            return result.event
        plan = result.value
        return await self._refresh() or rx.toast.success(
            f"Plan applied: {sum(len(r.stops) for r in plan.routes)} stops on "
            f"{len(plan.routes)} routes"
        )
