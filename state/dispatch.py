"""Dispatch dashboard: the shipment board, the fleet and manual assignment."""

from __future__ import annotations

import asyncio
from datetime import date

import reflex as rx

from logistics_ai.db import session_scope
from logistics_ai.domain import clock
from logistics_ai.domain.errors import DomainError
from logistics_ai.models import Role
from logistics_ai.services import (
    assignment,
    dispatch_insert,
    dispatch_planning,
    drivers,
    eta_updates,
    shipments,
)
from logistics_ai.settings import get_settings
from state.auth import AuthState
from state.formatting import hhmm, hours_minutes, shipment_row

STAFF = (Role.dispatcher, Role.admin)
PAGE_SIZE = 25


class DispatchState(AuthState):
    rows: list[dict[str, str]] = []
    fleet: list[dict[str, str]] = []
    status_filter: str = "all"
    date_filter: str = ""
    search_text: str = ""
    page: int = 1
    total: int = 0
    loading: bool = False
    notice: str = ""
    alerts: list[dict[str, str]] = []

    @rx.var
    def page_count(self) -> int:
        return max(1, -(-self.total // PAGE_SIZE))

    @rx.var
    def range_label(self) -> str:
        if self.total == 0:
            return "No shipments match"
        first = (self.page - 1) * PAGE_SIZE + 1
        last = min(self.total, self.page * PAGE_SIZE)
        return f"{first}–{last} of {self.total}"

    @rx.event
    def load(self):  # type: ignore[no-untyped-def]
        if not self.date_filter:
            self.date_filter = clock.today_local().isoformat()
        return self._guard(STAFF) or self._refresh()

    def _refresh(self):  # type: ignore[no-untyped-def]
        day = date.fromisoformat(self.date_filter) if self.date_filter else None
        filters = {
            "status": None if self.status_filter == "all" else self.status_filter,
            "date_from": day,
            "date_to": day,
            "search": self.search_text or None,
            "page": self.page,
            "page_size": PAGE_SIZE,
        }
        try:
            with session_scope() as session:
                actor = self._actor(session, STAFF)
                result = shipments.list_shipments(session, actor, filters)
                board = drivers.fleet_board(session, actor, day or clock.today_local())
                late = eta_updates.late_alerts(session, actor, day or clock.today_local())
                names = {row.id: row.name for row in board}
                self.alerts = [
                    {
                        "code": shipment.tracking_code,
                        "stop": "pickup" if stop.kind == "pickup" else "drop-off",
                        "driver": names.get(driver.id, ""),
                        "eta": hhmm(stop.planned_arrival),
                        "window_end": hhmm(
                            shipment.pickup_window_end
                            if stop.kind == "pickup"
                            else shipment.dropoff_window_end
                        ),
                    }
                    for stop, shipment, driver in late
                ]
        except DomainError as error:
            return rx.toast.error(error.message)
        self.rows = [shipment_row(s) for s in result.items]
        self.total = result.total
        self.fleet = [
            {
                "id": str(row.id),
                "name": row.name,
                "status": row.status,
                "status_label": row.status.replace("_", " "),
                "vehicle": row.vehicle,
                "skills": row.skills or "—",
                "progress": f"{row.stops_done_today}/{row.stops_today}",
            }
            for row in board
        ]
        return None

    @rx.event
    def set_status_filter(self, value: str):  # type: ignore[no-untyped-def]
        self.status_filter = value
        self.page = 1
        return self._refresh()

    @rx.event
    def set_date_filter(self, value: str):  # type: ignore[no-untyped-def]
        self.date_filter = value
        self.page = 1
        return self._refresh()

    @rx.event
    def apply_search(self, form_data: dict[str, str]):  # type: ignore[no-untyped-def]
        self.search_text = (form_data.get("search") or "").strip()[:100]
        self.page = 1
        return self._refresh()

    @rx.event
    def go_to_page(self, page: int):  # type: ignore[no-untyped-def]
        self.page = min(max(1, page), self.page_count)
        return self._refresh()

    @rx.event
    def auto_assign(self, shipment_id: str):  # type: ignore[no-untyped-def]
        try:
            with session_scope() as session:
                actor = self._actor(session, STAFF)
                result = dispatch_insert.auto_assign(session, actor, int(shipment_id))
                message = (
                    f"{result.shipment.tracking_code} inserted into a route "
                    f"(+{result.added_distance_m / 1000:.1f} km)"
                )
        except DomainError as error:
            return rx.toast.error(error.message)
        self._refresh()
        return rx.toast.success(message)

    @rx.event
    def assign(self, shipment_id: str, driver_id: str):  # type: ignore[no-untyped-def]
        if not driver_id:
            return None
        try:
            with session_scope() as session:
                actor = self._actor(session, STAFF)
                if driver_id == "none":
                    shipment = assignment.unassign_shipment(session, actor, int(shipment_id))
                    message = f"{shipment.tracking_code} returned to the unassigned queue"
                else:
                    shipment = assignment.assign_shipment(
                        session, actor, int(shipment_id), int(driver_id)
                    )
                    message = f"{shipment.tracking_code} assigned"
        except DomainError as error:
            self._refresh()
            return rx.toast.error(error.message)
        self.notice = message
        self._refresh()
        return rx.toast.success(message)


class AutoDispatchState(DispatchState):
    """Auto-dispatch: solve in the background with progress, preview, apply on confirmation."""

    planning: bool = False
    plan_elapsed: float = 0.0
    plan_budget: float = 0.0
    plan_id: str = ""
    plan_summary: str = ""
    plan_routes: list[dict[str, str]] = []
    plan_unassigned: list[dict[str, str]] = []
    applying: bool = False

    @rx.var
    def plan_progress(self) -> int:
        if self.plan_budget <= 0:
            return 0
        return min(99, int(100 * self.plan_elapsed / self.plan_budget))

    @rx.event(background=True)
    async def auto_dispatch(self):  # type: ignore[no-untyped-def]
        async with self:
            if self.planning:
                return
            try:
                with session_scope() as session:
                    actor = self._actor(session, STAFF)
            except DomainError as error:
                yield rx.toast.error(error.message)
                return
            day = date.fromisoformat(self.date_filter) if self.date_filter else None
            self.planning, self.plan_elapsed, self.plan_id = True, 0.0, ""
            self.plan_budget = get_settings().dispatch_budget_seconds

        def solve() -> dispatch_planning.PlanPreview:
            with session_scope() as session:
                return dispatch_planning.preview(session, actor, day)

        loop = asyncio.get_running_loop()
        started = loop.time()
        job = loop.run_in_executor(None, solve)
        while not job.done():
            await asyncio.sleep(0.25)
            async with self:
                self.plan_elapsed = round(loop.time() - started, 1)
        try:
            plan = job.result()
        except DomainError as error:
            async with self:
                self.planning = False
            yield rx.toast.error(error.message)
            return
        async with self:
            self.planning = False
            self.plan_id = plan.plan_id
            self.plan_summary = (
                f"{len(plan.routes)} routes · {plan.total_distance_m / 1000:.1f} km · "
                f"{plan.newly_assigned} newly assigned, {plan.reassigned} moved to another "
                f"driver, {plan.unchanged} unchanged, {len(plan.unassigned)} not placed · "
                f"solved in {plan.runtime_s:.1f} s"
            )
            self.plan_routes = [
                {
                    "driver": route.driver_name,
                    "vehicle": route.vehicle,
                    "stops": str(len(route.stops)),
                    "distance": f"{route.distance_m / 1000:.1f} km",
                    "duration": hours_minutes(route.duration_s),
                    "load": f"{route.max_load_kg} / {route.capacity_kg:g} kg",
                    "sequence": " → ".join(
                        f"{'P' if s.kind == 'pickup' else 'D'} {s.tracking_code[-4:]}"
                        for s in route.stops
                    ),
                }
                for route in plan.routes
            ]
            self.plan_unassigned = [
                {"code": item["tracking_code"], "reason": item["reason"].replace("_", " ")}
                for item in plan.unassigned
            ]

    @rx.event
    def discard_plan(self):  # type: ignore[no-untyped-def]
        self.plan_id = ""

    @rx.event
    def apply_plan(self):  # type: ignore[no-untyped-def]
        try:
            with session_scope() as session:
                actor = self._actor(session, STAFF)
                plan = dispatch_planning.apply(session, actor, self.plan_id)
        except DomainError as error:
            self.plan_id = ""
            return rx.toast.error(error.message)
        self.plan_id = ""
        self._refresh()
        return rx.toast.success(
            f"Plan applied: {sum(len(r.stops) for r in plan.routes)} stops on "
            f"{len(plan.routes)} routes"
        )
