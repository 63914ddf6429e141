"""Dispatch dashboard: the shipment board, the fleet and manual assignment."""

from __future__ import annotations

from datetime import date

import reflex as rx

from logistics_ai.db import session_scope
from logistics_ai.models import Role
from logistics_ai.services import assignment, clock, drivers, shipments
from logistics_ai.services.errors import DomainError
from state.auth import AuthState
from state.formatting import shipment_row

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
        redirect = self._guard(STAFF)
        if redirect:
            return redirect
        if not self.date_filter:
            self.date_filter = clock.today_local().isoformat()
        return self._refresh()

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
