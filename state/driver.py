"""Driver app: today's stops in order, shift status and stop events."""

from __future__ import annotations

import reflex as rx

from logistics_ai.db import session_scope
from logistics_ai.domain import clock
from logistics_ai.domain.errors import DomainError
from logistics_ai.models import DriverStatus, Role, StopKind
from logistics_ai.services import drivers
from logistics_ai.services.shipment_status import OPEN_STOP, STOP_EVENTS
from state.auth import AuthState
from state.formatting import hhmm, window

DRIVER = (Role.driver,)


class DriverState(AuthState):
    stops: list[dict[str, str]] = []
    shift_status: str = ""
    failing_stop_id: str = ""
    failure_reason: str = ""

    @rx.var
    def open_stop_count(self) -> int:
        return sum(1 for stop in self.stops if stop["status"] in OPEN_STOP)

    @rx.event
    def load(self):  # type: ignore[no-untyped-def]
        return self._guard(DRIVER) or self._refresh()

    def _refresh(self):  # type: ignore[no-untyped-def]
        try:
            with session_scope() as session:
                actor = self._actor(session, DRIVER)
                if actor.driver_id is None:
                    return rx.toast.error("This account has no driver profile.")
                views = drivers.stops_for_day(session, actor, actor.driver_id, clock.today_local())
                me = session.get(drivers.Driver, actor.driver_id)
                self.shift_status = me.status if me else ""
        except DomainError as error:
            return rx.toast.error(error.message)
        self.stops = [
            {
                "id": str(view.stop.id),
                "sequence": str(index + 1),
                "kind": view.stop.kind,
                "kind_label": "Pickup" if view.stop.kind == StopKind.pickup else "Drop-off",
                "status": view.stop.status,
                "address": view.address,
                "window": window(*view.window),
                "tracking_code": view.shipment.tracking_code,
                "recipient": view.shipment.recipient_name,
                "notes": view.shipment.notes or "",
                "weight": f"{view.shipment.weight_kg:g} kg",
                "maps_url": f"https://www.google.com/maps/dir/?api=1&destination={view.position[0]},{view.position[1]}",
                "failure_reason": view.stop.failure_reason or "",
                "eta": hhmm(view.stop.planned_arrival),
                "late": "yes" if view.stop.late_risk else "",
            }
            for index, view in enumerate(views)
        ]
        return None

    @rx.event
    def set_shift_status(self, value: str):  # type: ignore[no-untyped-def]
        try:
            with session_scope() as session:
                actor = self._actor(session, DRIVER)
                drivers.set_status(session, actor, actor.driver_id, DriverStatus(value))  # type: ignore[arg-type]
        except (DomainError, ValueError) as error:
            return rx.toast.error(getattr(error, "message", str(error)))
        self.shift_status = value
        return None

    @rx.event
    def stop_event(self, stop_id: str, event: str):  # type: ignore[no-untyped-def]
        return self._record(stop_id, event, None)

    @rx.event
    def start_failure(self, stop_id: str):  # type: ignore[no-untyped-def]
        self.failing_stop_id = stop_id
        self.failure_reason = ""

    @rx.event
    def cancel_failure(self):  # type: ignore[no-untyped-def]
        self.failing_stop_id = ""

    @rx.event
    def set_failure_reason(self, value: str):  # type: ignore[no-untyped-def]
        self.failure_reason = value

    @rx.event
    def confirm_failure(self):  # type: ignore[no-untyped-def]
        result = self._record(self.failing_stop_id, "failed", self.failure_reason)
        if not self.failure_reason.strip():
            return result
        self.failing_stop_id = ""
        return result

    def _record(self, stop_id: str, event: str, reason: str | None):  # type: ignore[no-untyped-def]
        if event not in STOP_EVENTS:
            return rx.toast.error("Unknown stop action.")
        try:
            with session_scope() as session:
                actor = self._actor(session, DRIVER)
                drivers.record_stop_event(session, actor, int(stop_id), event, reason=reason)  # type: ignore[arg-type]
        except DomainError as error:
            self._refresh()
            return rx.toast.error(error.message)
        self._refresh()
        labels = {
            "arrived": "Arrival recorded",
            "picked_up": "Marked picked up",
            "delivered": "Marked delivered",
            "failed": "Stop marked failed",
        }
        return rx.toast.success(labels[event])
